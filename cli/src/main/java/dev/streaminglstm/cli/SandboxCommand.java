package dev.streaminglstm.cli;

import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.LiveView;
import dev.streaminglstm.sandbox.Sandbox;
import dev.streaminglstm.sandbox.SandboxEndpoints;
import dev.streaminglstm.sandbox.SandboxException;
import dev.streaminglstm.sandbox.SandboxLogging;
import dev.streaminglstm.sandbox.SandboxSettings;
import dev.streaminglstm.sandbox.SandboxSummary;
import dev.streaminglstm.sandbox.SandboxView;
import dev.streaminglstm.sandbox.TrainingFirst;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.Unmatched;

/**
 * {@code streaming-lstm sandbox}: the whole system in one JVM (see {@link Sandbox}), with a live view in the
 * terminal and a summary at the end whose last line is {@code key=value} pairs for scripts.
 *
 * <p>The command reads its own flags (class {@link Flags}) so that every mistake is reported as one line naming
 * the flag, with exit code 2; flags it does not know are job flags, handed to {@link JobConfig#parse} as they are.
 * Exit codes: 0 after a clean end (duration passed, or Ctrl-C), 1 if a part of the sandbox failed, 2 for bad flags.
 */
@Command(name = "sandbox",
        description = "Run Kafka, the Flink job and a replayed multilingual corpus in this JVM, with a live view of "
                + "the model learning. See sandbox --help.")
public final class SandboxCommand implements Callable<Integer> {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|min|h)");
    private static final Duration STOP_WAIT = Duration.ofSeconds(90);
    /** Classes of the in-JVM broker (kafka-test-common-runtime, kafka_2.13) that {@link Sandbox} starts. */
    private static final List<String> BROKER_CLASSES =
            List.of("org.apache.kafka.common.test.KafkaClusterTestKit", "kafka.server.KafkaRaftServer");

    /**
     * Job flags whose sandbox default differs from the job's, unless given. Embedding 64 with hidden 256, batch 8 of
     * windows of 32, 64 streams at full speed, Adam at 0.005 falling as 1/sqrt(1 + steps/2000): the most a model
     * learns on 2 cores in 4 minutes (README, "Learning quality": four times the updates per token of batch 32 of 64
     * learn far more per token, and more per second too; 0.003 learned more than 0.002 at batch 8, and 0.005 with the
     * decay more than 0.003 without, prequential 1.92 against 1.99 bpc). Drafts every 250 ms: predictions from
     * weights a quarter of a second old, not a checkpoint interval (README, "Drafts").
     */
    private static final Map<String, String> JOB_DEFAULTS = Map.of("--embed", "64", "--learning-rate", "0.005",
            "--lr-decay-steps", "2000", "--draft-interval-ms", "250");

    /** The file of a run folder that keeps the flags the run started with, one a line, for {@code --resume}. */
    static final String ARGS_FILE = "sandbox-args.txt";

    /** The flags a resumed run may be given: how long, where and how it runs, not what it runs. */
    private static final Set<String> RESUME_FLAGS = Set.of("--resume", "--duration", "--quiet", "--training-first",
            SandboxEndpoints.ADDRESS_FLAG, SandboxEndpoints.KAFKA_FLAG, SandboxEndpoints.WEB_FLAG,
            SandboxEndpoints.METRICS_FLAG);

    @Spec
    CommandSpec spec;

    @Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        String name = spec.qualifiedName();
        Flags flags = new Flags();
        CommandLine parser = parser(flags);
        SandboxSettings settings;
        try {
            parser.parseArgs(args.toArray(String[]::new));
            if (parser.isUsageHelpRequested()) {
                PrintWriter out = spec.commandLine().getOut();
                parser.usage(out);
                out.println(JobConfig.usage());
                return 0;
            }
            if (flags.resume != null) {
                flags = resumed(parser.getParseResult(), flags);
            } else {
                flags.args = runArgs(parser.getParseResult(), flags);
            }
            settings = flags.settings();
            Sandbox.jobConfig(settings, "localhost:9092", "file:///sandbox-store"); // checks the job flags early
        } catch (ParameterException e) {
            err.println(name + ": " + describe(e) + " (see " + name + " --help)");
            return 2;
        } catch (IllegalArgumentException e) { // ConfigException too
            err.println(name + ": " + e.getMessage() + " (see " + name + " --help)");
            return 2;
        }
        Optional<String> missing = missingBrokerClass(SandboxCommand.class.getClassLoader());
        if (missing.isPresent()) {
            err.println(name + ": the sandbox is not in this image: its in-JVM Kafka broker (" + missing.get()
                    + ") is left out of the job jar; use `docker compose up`, or bin/streaming-lstm sandbox in a "
                    + "checkout of the project");
            return 1;
        }
        try {
            return run(settings, flags, spec.commandLine().getOut());
        } catch (SandboxException e) {
            err.println(name + ": " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println(name + ": " + StreamingLstmCli.oneLine(e));
            return 1;
        }
    }

    /**
     * The first class of the sandbox's in-JVM Kafka broker that {@code loader} cannot find, if any: the job jar, which
     * the project's image runs the command line from, leaves the broker out (a cluster never needs it).
     */
    static Optional<String> missingBrokerClass(ClassLoader loader) {
        for (String name : BROKER_CLASSES) {
            try {
                Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                return Optional.of(name);
            }
        }
        return Optional.empty();
    }

    /**
     * The flags of the run in {@code --resume}'s folder, as it started, with the ones given now that say how long and
     * where it runs.
     *
     * @throws IllegalArgumentException if a flag that says what runs is given, or the folder has no flags file
     */
    private static Flags resumed(ParseResult given, Flags now) {
        for (OptionSpec option : given.matchedOptions()) {
            if (!RESUME_FLAGS.contains(option.longestName())) {
                throw new IllegalArgumentException(notWithResume(option.longestName()));
            }
        }
        if (!now.jobFlags.isEmpty()) {
            throw new IllegalArgumentException(notWithResume(now.jobFlags.get(0).split("=", 2)[0]));
        }
        Path file = now.resume.resolve(ARGS_FILE);
        List<String> saved;
        try {
            saved = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--resume: " + now.resume + " is not a sandbox run folder (no "
                    + ARGS_FILE + ": " + e.getClass().getSimpleName() + ")");
        }
        Flags flags = new Flags();
        parser(flags).parseArgs(saved.toArray(String[]::new));
        flags.args = saved;
        flags.resume = now.resume;
        flags.duration = now.duration;
        flags.quiet = now.quiet;
        flags.trainingFirst = now.trainingFirst;
        flags.bindAddress = now.bindAddress;
        flags.kafkaPort = now.kafkaPort;
        flags.webPort = now.webPort;
        flags.metricsPort = now.metricsPort;
        return flags;
    }

    private static String notWithResume(String flag) {
        return flag + ": a resumed run keeps the flags it started with (in its " + ARGS_FILE + "); only "
                + RESUME_FLAGS.stream().filter(f -> !f.equals("--resume")).sorted().collect(Collectors.joining(", "))
                + " may be given";
    }

    /** The flags that say what a run runs, to keep in its folder: all but {@link #RESUME_FLAGS}. */
    private static List<String> runArgs(ParseResult given, Flags flags) {
        List<String> kept = new ArrayList<>();
        for (OptionSpec option : given.matchedOptions()) {
            if (!RESUME_FLAGS.contains(option.longestName())) {
                // A file or folder as the run saw it, wherever --resume is run from.
                option.originalStringValues().forEach(value -> kept.addAll(List.of(option.longestName(),
                        option.type() == Path.class ? Path.of(value).toAbsolutePath().toString() : value)));
            }
        }
        kept.addAll(flags.jobFlags);
        return kept;
    }

    private static int run(SandboxSettings settings, Flags flags, PrintWriter out) throws Exception {
        SandboxView view = flags.quiet ? SandboxView.none() : liveView(out, settings, flags);
        Sandbox sandbox = open(settings, flags, view);
        Path log = sandbox.runDir().resolve("sandbox.log");
        SandboxLogging.toFile(log);
        out.println("sandbox run folder: " + sandbox.runDir()
                + sandbox.restoredCheckpoint().map(c -> " (resumed from its checkpoint " + c.getFileName() + ")")
                        .orElse(""));
        out.println("  model store " + sandbox.storeUri() + ", Flink checkpoints, Kafka's data, log "
                + log.getFileName());
        SandboxEndpoints endpoints = sandbox.endpoints();
        out.println("  Kafka    " + endpoints.kafka() + "   (try bin/streaming-lstm tail, in another terminal)");
        out.println("  web UI   " + endpoints.webUi());
        out.println("  metrics  " + endpoints.metrics() + "   (Prometheus)");
        if (endpoints.exposed()) {
            out.println("  " + endpoints.exposureWarning());
        }
        if (System.getenv("OMP_NUM_THREADS") == null) {
            out.println("  note: OMP_NUM_THREADS is not set; ND4J may oversubscribe the cores "
                    + "(bin/streaming-lstm sets it to 1)");
        }
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            sandbox.stop();
            try {
                finished.await(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "sandbox-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            SandboxSummary summary = sandbox.run();
            out.println();
            out.println(summary.report());
            return 0;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down (Ctrl-C): the hook is running and ends now
            }
        }
    }

    /** The sandbox of a new run (its flags kept in its folder), or of the run {@code --resume} names. */
    private static Sandbox open(SandboxSettings settings, Flags flags, SandboxView view) throws SandboxException {
        if (flags.resume != null) {
            return Sandbox.resume(settings, flags.resume, view);
        }
        try {
            Sandbox sandbox = new Sandbox(settings, view);
            Files.write(sandbox.runDir().resolve(ARGS_FILE), flags.args, StandardCharsets.UTF_8);
            return sandbox;
        } catch (IOException e) {
            throw new SandboxException("--work-dir: cannot create a run folder in " + settings.workDir() + " ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
        }
    }

    private static SandboxView liveView(PrintWriter out, SandboxSettings settings, Flags flags) {
        boolean terminal = System.console() != null && !"dumb".equals(System.getenv("TERM"));
        String title = settings.corpus().name() + " · " + settings.streams() + " streams · hidden " + flags.hidden
                + " · window " + flags.window;
        return new LiveView(out, terminal ? LiveView.Style.ANSI : LiveView.Style.PLAIN,
                terminal ? terminalColumns() : 160, title, Clock.systemUTC());
    }

    /** The terminal's width: $COLUMNS, else what {@code stty size} says, else 100; within 40..400. */
    private static int terminalColumns() {
        int columns = 100;
        String env = System.getenv("COLUMNS");
        if (env != null && env.matches("\\d{1,4}")) {
            columns = Integer.parseInt(env);
        } else {
            try {
                Process stty = new ProcessBuilder("stty", "size")
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/tty")))
                        .redirectError(ProcessBuilder.Redirect.DISCARD)
                        .start();
                String[] size = new String(stty.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim()
                        .split("\\s+");
                if (stty.waitFor(2, TimeUnit.SECONDS) && stty.exitValue() == 0 && size.length == 2
                        && size[1].matches("\\d{1,4}")) {
                    columns = Integer.parseInt(size[1]);
                }
            } catch (IOException e) {
                // no stty or no terminal: keep the default
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return Math.max(40, Math.min(400, columns));
    }

    private static CommandLine parser(Flags flags) {
        CommandLine cl = new CommandLine(flags);
        cl.registerConverter(Integer.TYPE, SandboxCommand::wholeNumber);
        cl.registerConverter(Duration.class, SandboxCommand::duration);
        cl.registerConverter(Corpus.Split.class, SandboxCommand::split);
        cl.registerConverter(RateLimit.class, SandboxCommand::rate);
        return cl;
    }

    /** One line for a parse error, naming the flag. */
    private static String describe(ParameterException e) {
        if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
            return name(missing.getMissing().get(0)) + ": needs a value";
        }
        if (e instanceof OverwrittenOptionException overwritten) {
            return name(overwritten.getOverwritten()) + ": given more than once";
        }
        if (e.getCause() instanceof TypeConversionException conversion && e.getArgSpec() != null) {
            return name(e.getArgSpec()) + ": " + conversion.getMessage();
        }
        return e.getMessage().lines().findFirst().orElse("invalid flags");
    }

    private static String name(ArgSpec spec) {
        return spec instanceof OptionSpec option ? option.longestName() : spec.paramLabel();
    }

    private static int wholeNumber(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a whole number");
        }
    }

    static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new TypeConversionException("'" + text + "' is not a duration such as 500ms, 90s, 3min or 1h");
        }
        long amount = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(amount);
            case "s" -> Duration.ofSeconds(amount);
            case "min" -> Duration.ofMinutes(amount);
            default -> Duration.ofHours(amount);
        };
    }

    private static Corpus.Split split(String text) {
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "lines" -> Corpus.Split.LINES;
            case "paragraphs" -> Corpus.Split.PARAGRAPHS;
            default -> throw new TypeConversionException("'" + text + "' is not lines or paragraphs");
        };
    }

    private static RateLimit rate(String text) {
        if (text.trim().equalsIgnoreCase("max")) {
            return RateLimit.unlimited();
        }
        try {
            double bytes = Double.parseDouble(text.trim());
            if (bytes > 0 && Double.isFinite(bytes)) {
                return RateLimit.bytesPerSecond(bytes);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new TypeConversionException("'" + text + "' is not a number of bytes per second above 0, or max");
    }

    /** The sandbox's flags; any other flag is a job flag. */
    @Command(name = "streaming-lstm sandbox", sortOptions = false, usageHelpWidth = 100,
            description = {
                "Starts, in this JVM: a Kafka broker (KRaft), a Flink MiniCluster running the streaming-lstm job, "
                        + "a file:// model store in the work dir, and a producer replaying a corpus as many "
                        + "concurrent text streams (the bundled Europarl sample, about twenty languages, each "
                        + "document a stream in turn; or --input FILE).",
                "Shows live: input and training rates, the training loss in bits per token falling, the model "
                        + "versions, the prequential bits per byte (every byte scored by the served model before it "
                        + "saw it), and a few streams' text with the model's predicted continuation (after ▸).",
                "Ends on --duration or Ctrl-C with a summary whose last line is key=value pairs: tokens, streams, "
                        + "version, bpc, predictions, dead_letters, prequential_bpc, and more.",
                ""},
            footer = {"",
                "Any other flag is a job flag, passed to the job as it is (for example --learning-rate 0.003, "
                        + "--embed 64, --cell RNN --kernel REFERENCE, --continuation-length 16); "
                        + "the sandbox sets --bootstrap-servers and --store itself, and uses --embed 64, "
                        + "--learning-rate 0.005, --lr-decay-steps 2000 and --draft-interval-ms 250 unless given. "
                        + "Job flags:",
                ""},
            footerHeading = "")
    static final class Flags {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Option(names = "--duration", paramLabel = "DURATION",
                description = "Run this long, then stop with a summary: 500ms, 90s, 3min, 1h. Default: until Ctrl-C.")
        Duration duration;

        @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "sandbox-work",
                description = "Folder for the runs: each gets run-<time>/ with its model store, Flink checkpoints "
                        + "and log. Default: ./${DEFAULT-VALUE}.")
        Path workDir;

        @Option(names = "--input", paramLabel = "FILE",
                description = "Replay this UTF-8 text file instead of the Europarl sample.")
        Path input;

        @Option(names = "--split", paramLabel = "lines|paragraphs", defaultValue = "paragraphs",
                description = "How --input is cut into documents. Default: ${DEFAULT-VALUE}.")
        Corpus.Split split;

        @Option(names = "--streams", paramLabel = "N", defaultValue = "64",
                description = "Concurrent streams, 1..1024. Default: ${DEFAULT-VALUE}.")
        int streams;

        @Option(names = "--rate", paramLabel = "BYTES/S|max", defaultValue = "max",
                description = "Most bytes of text per second, across all streams. The producer also never gets "
                        + "more than 2 chunks per stream (at least 32) ahead of the job's predictions; with max "
                        + "that alone paces it. Default: ${DEFAULT-VALUE}.")
        RateLimit rate;

        @Option(names = "--chunk-bytes", paramLabel = "BYTES",
                description = "Largest chunk of text per record. Default: the window, so that each chunk adds "
                        + "about one window and batches fill from different streams.")
        Integer chunkBytes;

        @Option(names = "--hidden", paramLabel = "N", defaultValue = "256",
                description = "Job flag --hidden with the sandbox's default: ${DEFAULT-VALUE}.")
        int hidden;

        @Option(names = "--window", paramLabel = "T", defaultValue = "32",
                description = "Job flag --window with the sandbox's default: ${DEFAULT-VALUE}.")
        int window;

        @Option(names = "--batch", paramLabel = "N", defaultValue = "8",
                description = "Job flag --batch with the sandbox's default: ${DEFAULT-VALUE}.")
        int batch;

        // 2 s against 5 s, 60 s runs: the same tokens/s, 1% of the bytes before the first version against 5%
        @Option(names = "--checkpoint-interval", paramLabel = "DURATION", defaultValue = "2s",
                description = "Flink checkpoint interval; a model version is published at each checkpoint that "
                        + "follows training. 100ms..1h. Default: ${DEFAULT-VALUE}.")
        Duration checkpointInterval;

        @Option(names = "--early-checkpoints", paramLabel = "DURATION",
                defaultValue = SandboxSettings.DEFAULT_EARLY_CHECKPOINTS,
                description = "Checkpoints back to back for this long from the first one, taken as soon as every "
                        + "task runs: the first model versions come sooner (Flink's first periodic checkpoint comes "
                        + "at a random moment within one interval, and is lost while a task still initializes); 0s: "
                        + "Flink's periodic checkpoints only. Default: ${DEFAULT-VALUE}.")
        Duration earlyCheckpoints;

        @Option(names = "--training-first",
                description = "Every thread of this JVM but training's at nice +" + TrainingFirst.LOWERED_NICE
                        + " once training runs (Linux): training gets the larger share of the cores, inference, the "
                        + "broker and Flink wait longer for theirs (a few percent more tokens/s on 2 cores; README, "
                        + "\"Training first\").")
        boolean trainingFirst;

        @Option(names = "--quiet", description = "No live view: only the run folder and the summary.")
        boolean quiet;

        @Option(names = SandboxEndpoints.KAFKA_FLAG, paramLabel = "PORT", defaultValue = "9092",
                description = "Port of the Kafka broker, for produce, tail, kcat or any client; 0: a free port. "
                        + "Default: ${DEFAULT-VALUE}.")
        int kafkaPort;

        @Option(names = SandboxEndpoints.WEB_FLAG, paramLabel = "PORT", defaultValue = "8081",
                description = "Port of the Flink web UI and REST API; 0: a free port. Default: ${DEFAULT-VALUE}.")
        int webPort;

        @Option(names = SandboxEndpoints.METRICS_FLAG, paramLabel = "PORT", defaultValue = "9249",
                description = "Port of the Prometheus endpoint (/metrics) with the job's metrics; 0: a free port. "
                        + "Default: ${DEFAULT-VALUE}.")
        int metricsPort;

        @Option(names = SandboxEndpoints.ADDRESS_FLAG, paramLabel = "ADDRESS", defaultValue = "127.0.0.1",
                description = "Address the broker, web UI and metrics listen on. The sandbox has no authentication: "
                        + "the default lets only this machine in; 0.0.0.0 lets in anyone who reaches it (with a "
                        + "warning). Default: ${DEFAULT-VALUE}.")
        String bindAddress;

        @Option(names = "--resume", paramLabel = "RUN_FOLDER",
                description = "Go on with a run that was stopped or killed (a run-<time> folder): the job restores "
                        + "its last checkpoint, the broker its topics, the producer goes on where the input topic "
                        + "ends. The run keeps its flags; only --duration, --quiet and the addresses may be given.")
        Path resume;

        @Unmatched
        List<String> jobFlags = new ArrayList<>();

        /** The flags that say what runs, as given: kept in the run folder. */
        List<String> args = List.of();

        SandboxSettings settings() {
            if (checkpointInterval.compareTo(Duration.ofMillis(100)) < 0
                    || checkpointInterval.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("--checkpoint-interval: must be between 100ms and 1h, was "
                        + checkpointInterval.toMillis() + "ms");
            }
            Corpus corpus;
            if (input == null) {
                corpus = Corpus.europarl();
            } else {
                if (!Files.isRegularFile(input) || !Files.isReadable(input)) {
                    throw new IllegalArgumentException("--input: " + input + " is not a readable file");
                }
                corpus = Corpus.file(input, split);
            }
            if (Files.exists(workDir) && !Files.isDirectory(workDir)) {
                throw new IllegalArgumentException("--work-dir: " + workDir + " exists and is not a folder");
            }
            List<String> job = new ArrayList<>(List.of("--hidden", Integer.toString(hidden), "--window",
                    Integer.toString(window), "--batch", Integer.toString(batch), "--checkpoint-interval-ms",
                    Long.toString(checkpointInterval.toMillis())));
            Set<String> given = jobFlags.stream().filter(f -> f.startsWith("--")).map(f -> f.split("=", 2)[0])
                    .collect(Collectors.toSet());
            JOB_DEFAULTS.forEach((flag, value) -> {
                if (!given.contains(flag)) {
                    job.addAll(List.of(flag, value));
                }
            });
            job.addAll(jobFlags);
            SandboxEndpoints endpoints = new SandboxEndpoints(SandboxEndpoints.address(bindAddress), kafkaPort,
                    webPort, metricsPort);
            int chunk = chunkBytes != null ? chunkBytes : SandboxSettings.chunkBytesOfWindow(window);
            return new SandboxSettings(corpus, streams, chunk, rate, Optional.ofNullable(duration), workDir, job,
                    Duration.ofSeconds(2), 0, endpoints, earlyCheckpoints, trainingFirst);
        }
    }
}
