package dev.streaminglstm.bench;

import dev.streaminglstm.core.bench.KernelBenchmark;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.EmbeddedStack;
import dev.streaminglstm.sandbox.TrainingFirst;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * The job a benchmark runs: the model's shape and batching (the configuration by default: H 256, E 64,
 * T 64, B 32), the checkpoint interval, and any other job flag. A picocli mixin.
 */
final class JobShape {
    @Option(names = "--hidden", defaultValue = "256", description = "LSTM units (default ${DEFAULT-VALUE}).")
    int hidden;

    @Option(names = "--embed", defaultValue = "64", description = "Embedding width (default ${DEFAULT-VALUE}).")
    int embed;

    @Option(names = "--window", defaultValue = "64", description = "Tokens per window T (default ${DEFAULT-VALUE}).")
    int window;

    @Option(names = "--batch", defaultValue = "32", description = "Windows per batch B (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--chunk-bytes", defaultValue = "64",
            description = "Largest chunk of text per input record (default ${DEFAULT-VALUE}).")
    int chunkBytes;

    @Option(names = "--checkpoint-interval-ms", defaultValue = "10000",
            description = "Checkpoint interval of the job (default ${DEFAULT-VALUE}).")
    long checkpointIntervalMs;

    @Option(names = "--job-flag", paramLabel = "FLAG=VALUE",
            description = "Any other flag of the job (streaming-lstm job --help), e.g. --job-flag=--context-bytes=64;"
                    + " repeatable.")
    List<String> more = new ArrayList<>();

    @Option(names = "--flink", paramLabel = "KEY=VALUE",
            description = "A Flink setting of the MiniCluster, e.g. --flink execution.checkpointing.unaligned.enabled=true;"
                    + " repeatable.")
    java.util.Map<String, String> flink = new java.util.LinkedHashMap<>();

    @Option(names = "--training-first",
            description = "Every thread of this JVM but training's at nice +" + TrainingFirst.LOWERED_NICE
                    + " once training runs (the sandbox's --training-first).")
    boolean trainingFirst;

    /** Options of a benchmark's job of this shape: its --flink settings, --training-first. */
    EmbeddedStack.JobOptions options(String name) {
        return BenchRun.job(name).with(flinkSettings()).trainingFirst(trainingFirst);
    }

    /** The Flink settings given with --flink. */
    org.apache.flink.configuration.Configuration flinkSettings() {
        return org.apache.flink.configuration.Configuration.fromMap(flink);
    }

    /** The job's flags, without broker and store. */
    List<String> jobFlags() {
        List<String> flags = new ArrayList<>(List.of("--hidden=" + hidden, "--embed=" + embed, "--window=" + window,
                "--batch=" + batch, "--checkpoint-interval-ms=" + checkpointIntervalMs));
        flags.addAll(more);
        return flags;
    }

    /** Checks the job flags as the job would, as a usage error (exit code 2) naming the flag. */
    void check(CommandSpec spec) {
        if (chunkBytes < 4 || chunkBytes > 65_536) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--chunk-bytes must be between 4 and 65536, was " + chunkBytes);
        }
        try {
            config();
        } catch (ConfigException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** The job's configuration of these flags, on a placeholder broker and store. */
    JobConfig config() {
        List<String> flags = new ArrayList<>(List.of("--bootstrap-servers=localhost:9092", "--store=file:///x"));
        flags.addAll(jobFlags());
        return JobConfig.parse(flags.toArray(String[]::new));
    }

    /** The kernel benchmark at this shape: the job's vocabulary, one layer, {@code tokens} timed. */
    KernelBenchmark.Settings kernel(long tokens) {
        return new KernelBenchmark.Settings(batch, window, embed, hidden, ByteVocabulary.SIZE, 1, tokens, 5, 1);
    }

    /** The configuration in one line. */
    String describe() {
        return "LSTM H=" + hidden + " E=" + embed + " T=" + window + " B=" + batch + ", Europarl in " + chunkBytes
                + "-byte chunks, checkpoints every " + checkpointIntervalMs + " ms"
                + (more.isEmpty() ? "" : ", " + String.join(" ", more))
                + (flink.isEmpty() ? "" : ", Flink " + flink)
                + (trainingFirst ? ", " + TrainingFirst.DESCRIPTION : "");
    }
}
