package dev.streaminglstm.cli;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.quality.QualityBench;
import dev.streaminglstm.sandbox.SandboxSettings;
import dev.streaminglstm.sandbox.TrainingFirst;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.TextChunker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

/** {@code bench quality}: what the pipeline learns from a text, against peers trained on the same text in one run. */
@Command(name = "quality", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Stream --train through the embedded pipeline (in-JVM Kafka, the job on a Flink MiniCluster, the "
                    + "sandbox's producer at full speed) as --streams concurrent streams, then train the same model "
                    + "on the same text without the pipeline: (b) lstm-core on the same windows in the same order, "
                    + "(c) lstm-core on the text cut into batch-many contiguous streams, (d) PyTorch's nn.LSTM on "
                    + "those streams (where /usr/bin/python3 has torch), (e) an online learner (one stream, plain SGD, "
                    + "3 layers of 90, an update every 10 bytes).",
            "Prints held-out bits per byte (--heldout, scored as eval scores a file) against tokens trained for "
                    + "each, the pipeline's prequential bpc (every byte scored by the served model before it saw "
                    + "it) and the online learner's, training speeds, and last a line of key=value pairs: "
                    + "prequential_bpc, heldout_bpc, offline_same_order_bpc, offline_contiguous_bpc, tokens, "
                    + "tokens_per_s and more.",
            "Any other flag is a job flag for the pipeline and learners (b)-(d) (e.g. --hidden 512, --layers 2, "
                    + "--batch 16, --window 32, --learning-rate 0.003, --flush-ms 0); the benchmark uses --embed 64 "
                    + "--hidden 256 --keep-versions 100000 unless given. With --flush-ms 0 "
                    + "--flush-on-checkpoint=false the pipeline's batches depend on the input alone and (b) must "
                    + "reach its parameters exactly (replay_max_abs_diff=0).", ""})
final class QualityCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--train", paramLabel = "FILE", required = true, description = "The training text (UTF-8).")
    Path train;

    @Option(names = "--heldout", paramLabel = "FILE", required = true, description = "The held-out text.")
    Path heldout;

    @Option(names = "--split", paramLabel = "lines|paragraphs", defaultValue = "paragraphs",
            converter = ProduceCommand.SplitConverter.class,
            description = "How --train is cut into documents for the pipeline's streams. Default: paragraphs.")
    Corpus.Split split;

    @Option(names = "--streams", paramLabel = "N", defaultValue = "64",
            description = "Concurrent streams of the pipeline, 1..1024. Default: ${DEFAULT-VALUE}.")
    int streams;

    @Option(names = "--chunk-bytes", paramLabel = "BYTES", defaultValue = "0",
            description = "Largest chunk of text per input record of the pipeline; 0: the window T (at least 4), as "
                    + "in the sandbox. Default: ${DEFAULT-VALUE}.")
    int chunkBytes;

    @Option(names = "--passes", paramLabel = "N", defaultValue = "1",
            description = "Passes over the training text, 1..100. Default: ${DEFAULT-VALUE}.")
    int passes;

    @Option(names = "--max-tokens", paramLabel = "N", defaultValue = "0",
            description = "Use only the first N bytes of --train; 0: all. Default: ${DEFAULT-VALUE}.")
    long maxTokens;

    @Option(names = "--points", paramLabel = "N", defaultValue = "5",
            description = "Held-out evaluations per learner, spread over the run, 1..50. Default: ${DEFAULT-VALUE}.")
    int points;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "bench-work",
            description = "Folder for the run's files (model store, checkpoints, token files). Default: "
                    + "./${DEFAULT-VALUE}.")
    Path workDir;

    @Option(names = "--keep", description = "Keep the run folder under --work-dir (model store with every version, "
            + "checkpoints, broker log); by default it is deleted at the end of a run that succeeded.")
    boolean keep;

    @Option(names = "--peer", paramLabel = "auto|torch|none", defaultValue = "auto",
            description = "auto: run the PyTorch peer if python3 has torch; torch: require it; none.")
    String peer;

    @Option(names = "--python", defaultValue = "/usr/bin/python3", description = "Interpreter of the peer.")
    String python;

    @Option(names = "--online", paramLabel = "true|false", arity = "1", defaultValue = "true",
            description = "Run the online learner (e). Default: ${DEFAULT-VALUE}.")
    boolean online;

    @Option(names = "--online-learning-rate", paramLabel = "RATE", defaultValue = "0.3",
            description = "Plain SGD step size of the online learner. Default: ${DEFAULT-VALUE}.")
    double onlineLearningRate;

    @Option(names = "--online-hidden", paramLabel = "N", defaultValue = "90",
            description = "Cells per layer of the online learner. Default: ${DEFAULT-VALUE}.")
    int onlineHidden;

    @Option(names = "--online-layers", paramLabel = "N", defaultValue = "3",
            description = "Layers of the online learner. Default: ${DEFAULT-VALUE}.")
    int onlineLayers;

    @Option(names = "--online-embed", paramLabel = "N", defaultValue = "32",
            description = "Embedding of the online learner. Default: ${DEFAULT-VALUE}.")
    int onlineEmbed;

    @Option(names = "--online-window", paramLabel = "BYTES", defaultValue = "10",
            description = "Bytes between two updates of the online learner. Default: ${DEFAULT-VALUE}.")
    int onlineWindow;

    @Option(names = "--online-max-tokens", paramLabel = "N", defaultValue = "0",
            description = "The online learner reads only the first N bytes of the text; 0: all of it. Default: "
                    + "${DEFAULT-VALUE}.")
    long onlineMaxTokens;

    @Option(names = "--learners", paramLabel = "LIST", defaultValue = "b,c,d,e",
            description = "Which learners run beside the pipeline (a): any of b, c, d, e, comma-separated, or none. "
                    + "Default: ${DEFAULT-VALUE}.")
    String learners;

    @Option(names = "--early-checkpoints", paramLabel = "DURATION",
            defaultValue = SandboxSettings.DEFAULT_EARLY_CHECKPOINTS, converter = DurationFlag.class,
            description = "The pipeline checkpoints back to back for this long from its first checkpoint, taken as "
                    + "soon as every task runs (the sandbox's --early-checkpoints); 0s: Flink's periodic checkpoints "
                    + "only. Default: ${DEFAULT-VALUE}.")
    Duration earlyCheckpoints;

    @Option(names = "--training-first",
            description = "The pipeline runs with every other thread of this JVM at nice +" + TrainingFirst.LOWERED_NICE
                    + " once training runs (the sandbox's --training-first).")
    boolean trainingFirst;

    @Unmatched
    List<String> jobFlags = new ArrayList<>();

    /** Durations as the sandbox's flags take them: 500ms, 10s, 3min, 1h. */
    static final class DurationFlag implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            return SandboxCommand.duration(text);
        }
    }

    @Override
    public Integer call() throws Exception {
        QualityBench.Settings settings = settings();
        QualityBench.run(settings, spec.commandLine().getOut(), spec.commandLine().getErr());
        return 0;
    }

    private QualityBench.Settings settings() {
        for (Path file : List.of(train, heldout)) {
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw usage((file == train ? "--train: " : "--heldout: ") + file + " is not a readable file");
            }
        }
        FlagChecks.range(spec, "--streams", streams, 1, SandboxSettings.MAX_STREAMS);
        FlagChecks.range(spec, "--passes", passes, 1, 100);
        if (chunkBytes != 0) {
            FlagChecks.range(spec, "--chunk-bytes", chunkBytes, TextChunker.MIN_CHUNK_BYTES, 65_536);
        }
        FlagChecks.range(spec, "--points", points, 1, 50);
        FlagChecks.range(spec, "--max-tokens", maxTokens, 0, Integer.MAX_VALUE);
        FlagChecks.range(spec, "--online-hidden", onlineHidden, 1, 4096);
        FlagChecks.range(spec, "--online-layers", onlineLayers, 1, 16);
        FlagChecks.range(spec, "--online-embed", onlineEmbed, 1, 4096);
        FlagChecks.range(spec, "--online-window", onlineWindow, 1, 4096);
        FlagChecks.range(spec, "--online-max-tokens", onlineMaxTokens, 0, Integer.MAX_VALUE);
        if (!(onlineLearningRate > 0 && onlineLearningRate <= 10)) {
            throw usage("--online-learning-rate: must be above 0 and at most 10, was " + onlineLearningRate);
        }
        if (!List.of("auto", "torch", "none").contains(peer)) {
            throw usage("--peer: must be auto, torch or none, was '" + peer + "'");
        }
        for (String flag : jobFlags) {
            if (SandboxSettings.RESERVED_JOB_FLAGS.contains(flag.split("=", 2)[0])) {
                throw usage(flag.split("=", 2)[0] + ": the benchmark sets it (its own broker and model store)");
            }
        }
        List<String> flags = new ArrayList<>(List.of("--bootstrap-servers", "localhost:9092", "--store", "file:///x"));
        flags.addAll(jobFlags);
        try {
            JobConfig.parse(flags.toArray(String[]::new));
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        Optional<QualityBench.Online> learner = online ? Optional.of(new QualityBench.Online(onlineEmbed, onlineHidden,
                onlineLayers, onlineWindow, onlineLearningRate, 5.0, onlineMaxTokens)) : Optional.empty();
        java.util.Set<Character> chosen = new java.util.TreeSet<>();
        if (!learners.equals("none")) {
            for (String l : learners.split(",")) {
                if (!l.matches("[bcde]")) {
                    throw usage("--learners: '" + l + "' is not one of b, c, d, e (or none)");
                }
                chosen.add(l.charAt(0));
            }
        }
        return new QualityBench.Settings(train, heldout, split, streams, passes, maxTokens, points,
                List.copyOf(jobFlags), workDir, peer, python, learner, chosen, keep, chunkBytes, earlyCheckpoints,
                trainingFirst);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
