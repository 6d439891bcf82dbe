package dev.streaminglstm.bench;

import dev.streaminglstm.core.bench.KernelBenchmark;
import dev.streaminglstm.core.kernel.BundledOpenBlas;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.EmbeddedStack;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench pipeline}: tokens trained per second by the whole job (Kafka source, validation, keyed state,
 * batching, training, inference beside it, checkpoints, the merger) on input pre-loaded into the topic, against the
 * training kernel alone at the same shape in the same run.
 */
@Command(name = "pipeline", mixinStandardHelpOptions = true,
        description = "Tokens trained per second by the job on the embedded stack (input pre-loaded, inference "
                + "running), against the kernel alone at the same shape, in the same run. Prints a table, then "
                + "tokens_per_s=, kernel_tokens_per_s=, pipeline_over_kernel= and inference_over_training= (CPU time "
                + "of the inference task per token scored over that of the training task per token trained) last "
                + "(comma lists, one value per --streams).")
public final class PipelineBenchmark implements Callable<Integer> {

    @Option(names = "--streams", split = ",", defaultValue = "1024", paramLabel = "S[,S...]",
            description = "Concurrent streams; a list runs one job after the other (default ${DEFAULT-VALUE}).")
    List<Integer> streams;

    @Option(names = "--warmup-s", defaultValue = "20",
            description = "Seconds after the first trained batch before measuring (default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--measure-s", defaultValue = "40", description = "Seconds measured (default ${DEFAULT-VALUE}).")
    int measureSeconds;

    @Option(names = "--kernel-tokens", defaultValue = "100000",
            description = "Tokens the kernel alone is timed on (default ${DEFAULT-VALUE}).")
    long kernelTokens;

    @Option(names = "--keep", description = "Keep the run folder (log, store, checkpoints).")
    boolean keep;

    @Mixin
    JobShape shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One job's figures. */
    record Row(int streams, SteadyState steady, double kernel) {
        double ratio() {
            return steady.tokensTrained() / kernel;
        }
    }

    @Override
    public Integer call() throws Exception {
        shape.check(spec);
        for (int s : streams) {
            Bench.atLeast(spec, "--streams", s, 1);
        }
        Bench.atLeast(spec, "--warmup-s", warmupSeconds, 0);
        Bench.atLeast(spec, "--measure-s", measureSeconds, 1);
        Bench.atLeast(spec, "--kernel-tokens", kernelTokens, 1);
        PrintWriter out = spec.commandLine().getOut();
        out.println("bench pipeline: " + shape.describe() + "; input pre-loaded; warm-up " + warmupSeconds
                + " s, measured " + measureSeconds + " s");
        out.println(BundledOpenBlas.describe());

        List<Row> rows = new ArrayList<>();
        KernelBenchmark.Result kernel;
        try (BenchRun run = BenchRun.open("pipeline", keep)) {
            kernel = KernelBenchmark.run(shape.kernel(kernelTokens));
            out.printf("kernel alone at the same shape (KernelBenchmark, 1 BLAS thread): %s tokens/s%n",
                    Table.count(kernel.tokensPerSecond()));
            for (int s : streams) {
                rows.add(new Row(s, measure(run, s, kernel.tokensPerSecond()), kernel.tokensPerSecond()));
                out.printf("  %d streams: %s tokens/s%n", s, Table.count(rows.get(rows.size() - 1).steady()
                        .tokensTrained()));
            }
            if (keep) {
                out.println("run folder kept: " + run.dir());
            }
        }
        Table table = new Table("streams", "pipeline tokens/s", "kernel tokens/s", "pipeline/kernel",
                "tokens in/s", "chunks inferred/s", "predictions/s", "windows/batch", "chunks/bundle", "inference/training",
                "measured s");
        for (Row r : rows) {
            table.row(r.streams(), Table.count(r.steady().tokensTrained()), Table.count(r.kernel()),
                    String.format("%.2f", r.ratio()), Table.count(r.steady().tokensReceived()),
                    Table.count(r.steady().chunksInferred()), Table.count(r.steady().predictions()), String.format("%.1f", r.steady().windowsPerBatch()),
                    String.format("%.1f", r.steady().chunksPerBundle()),
                    String.format("%.2f", r.steady().inferenceOverTraining()),
                    String.format("%.0f%s", r.steady().seconds(), r.steady().inputRanOut() ? " (input ran out)" : ""));
        }
        table.print(out);
        out.println("streams=" + join(rows, r -> Integer.toString(r.streams()))
                + " tokens_per_s=" + join(rows, r -> String.format("%.0f", r.steady().tokensTrained()))
                + " kernel_tokens_per_s=" + String.format("%.0f", kernel.tokensPerSecond())
                + " pipeline_over_kernel=" + join(rows, r -> String.format("%.3f", r.ratio()))
                + " inference_over_training=" + join(rows, r -> String.format("%.3f", r.steady().inferenceOverTraining())));
        return 0;
    }

    private SteadyState measure(BenchRun run, int streamCount, double kernelTokensPerSecond) throws Exception {
        try (EmbeddedStack stack = run.stack("streams-" + streamCount)) {
            JobConfig config = stack.jobConfig(shape.jobFlags());
            stack.createTopics(config, Map.of());
            // Enough for the whole run at the kernel's speed, and a few windows per stream.
            double seconds = warmupSeconds + measureSeconds + 60;
            long bytes = Math.max((long) (1.5 * kernelTokensPerSecond * seconds),
                    4L * streamCount * (shape.window + 1));
            long records = BenchRun.preload(stack, config, streamCount, shape.chunkBytes, bytes);
            EmbeddedStack.RunningJob job = stack.startJob(config, shape.options("bench pipeline"));
            try {
                return SteadyState.measure(job, Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(measureSeconds),
                        records);
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
    }

    private static String join(List<Row> rows, java.util.function.Function<Row, String> value) {
        return rows.stream().map(value).collect(Collectors.joining(","));
    }
}
