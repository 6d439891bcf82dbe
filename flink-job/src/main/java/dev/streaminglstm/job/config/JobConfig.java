package dev.streaminglstm.job.config;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.OverwrittenOptionException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * Every setting of the streaming-lstm job, typed, validated and immutable; {@link Serializable} so operators
 * can carry it to the task managers. Built from command-line flags by {@link #parse}, turned back into flags by
 * {@link #toArgs}; the canonical constructor validates too, so no instance holds a value out of range.
 * {@link #usage()} lists the flags with their defaults.
 *
 * @param bootstrapServers     Kafka bootstrap servers ({@code --bootstrap-servers}, required)
 * @param inputTopic           topic of {@code TextEvent}s ({@code --input-topic})
 * @param predictionTopic      topic the {@code Prediction}s go to ({@code --prediction-topic})
 * @param deadLetterTopic      topic rejected records go to as {@code DeadLetter}s ({@code --dead-letter-topic})
 * @param groupId              consumer group of the input source; also the prefix of client and transactional ids
 * @param store                URI of the model store ({@code --store}, required)
 * @param windowLength         tokens per truncated-BPTT window T ({@code --window})
 * @param windowsPerBatch      windows per training batch ({@code --batch})
 * @param batchFlushMs         a partly filled batch is trained after this many ms, 0 for never ({@code --flush-ms})
 * @param embedSize            token embedding size ({@code --embed})
 * @param hiddenSize           recurrent state size per layer ({@code --hidden})
 * @param layers               number of recurrent layers ({@code --layers})
 * @param cellType             recurrent cell ({@code --cell})
 * @param conditioningSize     length of each event's feature vector, 0 for none ({@code --conditioning-size})
 * @param optimizer            optimiser ({@code --optimizer})
 * @param learningRate         optimiser step size ({@code --learning-rate})
 * @param clipNorm             global gradient norm above which gradients are scaled down ({@code --clip-norm})
 * @param checkpointIntervalMs Flink checkpoint interval ({@code --checkpoint-interval-ms})
 * @param trainingParallelism  parallelism of the training operator ({@code --parallelism})
 * @param inferenceParallelism parallelism of the inference operator ({@code --inference-parallelism})
 * @param maxParallelism       key groups of the keyed operators, the upper bound of any later rescale; must stay the
 *                             same across savepoints ({@code --max-parallelism})
 * @param stateBackend         where per-stream state lives ({@code --state-backend})
 * @param publishEveryWindows  trained windows between two published model versions ({@code --publish-every-windows})
 * @param keepVersions         model versions the store keeps ({@code --keep-versions})
 * @param maxRecordBytes       input values above this size are dead letters ({@code --max-record-bytes})
 * @param streamIdleTimeout    per-stream state is dropped after this long without input ({@code --stream-idle-timeout})
 * @param predictionGuarantee  delivery guarantee of the prediction sink ({@code --prediction-guarantee})
 * @param topK                 most likely next tokens in each prediction ({@code --top-k})
 * @param continuationLength   bytes of greedy continuation in each prediction ({@code --continuation-length})
 * @param contextBytes         recent bytes per stream the inference side keeps ({@code --context-bytes})
 * @param seed                 seed of every random choice of the job ({@code --seed})
 * @param kafkaClientProperties extra properties for every Kafka client: the {@code --kafka-properties-file} merged
 *                             with the {@code --kafka-property} flags, the flags winning
 */
public record JobConfig(
        String bootstrapServers,
        String inputTopic,
        String predictionTopic,
        String deadLetterTopic,
        String groupId,
        String store,
        int windowLength,
        int windowsPerBatch,
        long batchFlushMs,
        int embedSize,
        int hiddenSize,
        int layers,
        CellType cellType,
        int conditioningSize,
        Optimizer optimizer,
        double learningRate,
        double clipNorm,
        long checkpointIntervalMs,
        int trainingParallelism,
        int inferenceParallelism,
        int maxParallelism,
        StateBackend stateBackend,
        int publishEveryWindows,
        int keepVersions,
        int maxRecordBytes,
        Duration streamIdleTimeout,
        PredictionGuarantee predictionGuarantee,
        int topK,
        int continuationLength,
        int contextBytes,
        long seed,
        SortedMap<String, String> kafkaClientProperties)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Number of distinct tokens: 256 byte values, {@code <start>} and {@code <end>}. */
    public static final int VOCABULARY_SIZE = 258;

    /** Kafka producer property of the transaction timeout. */
    public static final String TRANSACTION_TIMEOUT = "transaction.timeout.ms";

    /** Transaction timeout when {@value #TRANSACTION_TIMEOUT} is not among the Kafka client properties. */
    public static final long DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

    private static final Pattern TOPIC_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|secret|jaas|token|credential).*");

    /** Recurrent cell of the model. */
    public enum CellType { LSTM, RNN }

    /** Optimiser of the training operator. */
    public enum Optimizer { ADAM, ADAGRAD, SGD }

    /**
     * Flink state backend of the job: HASHMAP keeps state on the JVM heap (fast, bounded by memory); ROCKSDB keeps
     * it in embedded RocksDB on local disk (millions of streams, incremental checkpoints).
     */
    public enum StateBackend {
        HASHMAP("hashmap"),
        ROCKSDB("rocksdb");

        private final String flinkName;

        StateBackend(String flinkName) {
            this.flinkName = flinkName;
        }

        /** The value of Flink's {@code state.backend.type} option. */
        public String flinkName() {
            return flinkName;
        }
    }

    /** Delivery guarantee of the prediction sink; EXACTLY_ONCE writes in Kafka transactions per checkpoint. */
    public enum PredictionGuarantee { AT_LEAST_ONCE, EXACTLY_ONCE }

    /** Validates every value and copies the Kafka properties; throws {@link ConfigException} naming the flag. */
    public JobConfig {
        requireText("--bootstrap-servers", bootstrapServers);
        requireTopic("--input-topic", inputTopic);
        requireTopic("--prediction-topic", predictionTopic);
        requireTopic("--dead-letter-topic", deadLetterTopic);
        requireDistinct("--prediction-topic", predictionTopic, "--input-topic", inputTopic);
        requireDistinct("--dead-letter-topic", deadLetterTopic, "--input-topic", inputTopic);
        requireDistinct("--dead-letter-topic", deadLetterTopic, "--prediction-topic", predictionTopic);
        requireText("--group-id", groupId);
        requireText("--store", store);
        requireRange("--window", windowLength, 1, 4096);
        requireRange("--batch", windowsPerBatch, 1, 4096);
        requireRange("--flush-ms", batchFlushMs, 0, 3_600_000);
        requireRange("--embed", embedSize, 1, 4096);
        requireRange("--hidden", hiddenSize, 1, 8192);
        requireRange("--layers", layers, 1, 16);
        requirePresent("--cell", cellType);
        requireRange("--conditioning-size", conditioningSize, 0, 65_536);
        requirePresent("--optimizer", optimizer);
        requirePositive("--learning-rate", learningRate, 10);
        requirePositive("--clip-norm", clipNorm, 1e6);
        requireRange("--checkpoint-interval-ms", checkpointIntervalMs, 100, 86_400_000);
        requireRange("--parallelism", trainingParallelism, 1, 1024);
        requireRange("--inference-parallelism", inferenceParallelism, 1, 1024);
        requireRange("--max-parallelism", maxParallelism, 1, 32_768);
        if (maxParallelism < Math.max(trainingParallelism, inferenceParallelism)) {
            throw new ConfigException("--max-parallelism: must be at least --parallelism and --inference-parallelism ("
                    + Math.max(trainingParallelism, inferenceParallelism) + "), was " + maxParallelism);
        }
        requirePresent("--state-backend", stateBackend);
        requireRange("--publish-every-windows", publishEveryWindows, 1, Integer.MAX_VALUE);
        requireRange("--keep-versions", keepVersions, 1, 100_000);
        requireRange("--max-record-bytes", maxRecordBytes, 64, 16 << 20);
        requirePresent("--stream-idle-timeout", streamIdleTimeout);
        streamIdleTimeout = Duration.ofMillis(streamIdleTimeout.toMillis()); // flags spell whole milliseconds
        if (streamIdleTimeout.compareTo(Duration.ofSeconds(1)) < 0
                || streamIdleTimeout.compareTo(Duration.ofDays(365)) > 0) {
            throw new ConfigException("--stream-idle-timeout: must be between 1s and 365d, was "
                    + DurationFlag.format(streamIdleTimeout));
        }
        requirePresent("--prediction-guarantee", predictionGuarantee);
        requireRange("--top-k", topK, 1, VOCABULARY_SIZE);
        requireRange("--continuation-length", continuationLength, 0, 4096);
        requireRange("--context-bytes", contextBytes, 1, 65_536);
        requirePresent("--kafka-property", kafkaClientProperties);
        kafkaClientProperties.forEach((key, value) -> {
            if (key == null || key.isBlank() || value == null) {
                throw new ConfigException("--kafka-property: '" + key + "=" + value + "' has an empty key or no value");
            }
        });
        kafkaClientProperties = Collections.unmodifiableSortedMap(new TreeMap<>(kafkaClientProperties));
        long transactionTimeoutMs = transactionTimeoutMs(kafkaClientProperties);
        if (predictionGuarantee == PredictionGuarantee.EXACTLY_ONCE && checkpointIntervalMs >= transactionTimeoutMs) {
            throw new ConfigException("--checkpoint-interval-ms: must be below the Kafka transaction timeout of "
                    + transactionTimeoutMs + " ms with --prediction-guarantee EXACTLY_ONCE, was " + checkpointIntervalMs
                    + " (raise it with --kafka-property " + TRANSACTION_TIMEOUT + "=MS)");
        }
    }

    /**
     * Reads the job's flags. Each flag is {@code --name value} or {@code --name=value}; only
     * {@code --kafka-property} may repeat.
     *
     * @throws ConfigException with one line naming the flag and what is wrong with it
     */
    public static JobConfig parse(String... args) {
        Flags flags = new Flags();
        try {
            commandLine(flags).parseArgs(args);
        } catch (ParameterException e) {
            throw new ConfigException(describe(e, Arrays.asList(args)));
        }
        return flags.toConfig();
    }

    /** The flags that {@link #parse} turns back into an equal configuration; every flag is written out. */
    public List<String> toArgs() {
        List<String> args = new ArrayList<>(List.of(
                "--bootstrap-servers", bootstrapServers,
                "--input-topic", inputTopic,
                "--prediction-topic", predictionTopic,
                "--dead-letter-topic", deadLetterTopic,
                "--group-id", groupId,
                "--store", store,
                "--window", Integer.toString(windowLength),
                "--batch", Integer.toString(windowsPerBatch),
                "--flush-ms", Long.toString(batchFlushMs),
                "--embed", Integer.toString(embedSize),
                "--hidden", Integer.toString(hiddenSize),
                "--layers", Integer.toString(layers),
                "--cell", cellType.name(),
                "--conditioning-size", Integer.toString(conditioningSize),
                "--optimizer", optimizer.name(),
                "--learning-rate", Double.toString(learningRate),
                "--clip-norm", Double.toString(clipNorm),
                "--checkpoint-interval-ms", Long.toString(checkpointIntervalMs),
                "--parallelism", Integer.toString(trainingParallelism),
                "--inference-parallelism", Integer.toString(inferenceParallelism),
                "--publish-every-windows", Integer.toString(publishEveryWindows)));
        args.addAll(List.of(
                "--max-parallelism", Integer.toString(maxParallelism),
                "--state-backend", stateBackend.name()));
        args.addAll(List.of(
                "--keep-versions", Integer.toString(keepVersions),
                "--max-record-bytes", Integer.toString(maxRecordBytes),
                "--stream-idle-timeout", DurationFlag.format(streamIdleTimeout),
                "--prediction-guarantee", predictionGuarantee.name(),
                "--top-k", Integer.toString(topK),
                "--continuation-length", Integer.toString(continuationLength),
                "--context-bytes", Integer.toString(contextBytes),
                "--seed", Long.toString(seed)));
        kafkaClientProperties.forEach((key, value) -> args.addAll(List.of("--kafka-property", key + "=" + value)));
        return List.copyOf(args);
    }

    /**
     * Properties for every Kafka client of the job (consumers, producers, admin): the extra client properties
     * and {@code bootstrap.servers}, which {@code --bootstrap-servers} sets whatever the extra ones say.
     * A new, mutable copy on every call.
     */
    public Properties kafkaProperties() {
        Properties properties = new Properties();
        properties.putAll(kafkaClientProperties);
        properties.setProperty("bootstrap.servers", bootstrapServers);
        return properties;
    }

    /**
     * Timeout of the prediction sink's Kafka transactions with EXACTLY_ONCE: the client property
     * {@value #TRANSACTION_TIMEOUT} if given, else {@value #DEFAULT_TRANSACTION_TIMEOUT_MS} ms, below the broker's
     * default maximum of 15 minutes (the sink's own default of one hour is above it and fails).
     */
    public long transactionTimeoutMs() {
        return transactionTimeoutMs(kafkaClientProperties);
    }

    private static long transactionTimeoutMs(Map<String, String> kafkaClientProperties) {
        String value = kafkaClientProperties.get(TRANSACTION_TIMEOUT);
        if (value == null) {
            return DEFAULT_TRANSACTION_TIMEOUT_MS;
        }
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            throw new ConfigException("--kafka-property: " + TRANSACTION_TIMEOUT + "='" + value
                    + "' is not a whole number of ms");
        }
    }

    /** The help text: every flag, what it sets and its default. */
    public static String usage() {
        return commandLine(new Flags()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** The configuration as flags, with the values of secret-looking Kafka properties masked. */
    @Override
    public String toString() {
        List<String> shown = new ArrayList<>(toArgs());
        for (int i = 1; i < shown.size(); i++) {
            String key = shown.get(i).split("=", 2)[0];
            if (shown.get(i - 1).equals("--kafka-property") && SECRET_KEY.matcher(key).matches()) {
                shown.set(i, key + "=****");
            }
        }
        return "JobConfig[" + String.join(" ", shown) + "]";
    }

    private static CommandLine commandLine(Flags flags) {
        CommandLine cl = new CommandLine(flags);
        cl.registerConverter(Long.TYPE, JobConfig::wholeNumber);
        cl.registerConverter(Double.TYPE, JobConfig::number);
        cl.registerConverter(Duration.class, JobConfig::duration);
        cl.registerConverter(CellType.class, text -> constant(CellType.class, text));
        cl.registerConverter(Optimizer.class, text -> constant(Optimizer.class, text));
        cl.registerConverter(PredictionGuarantee.class, text -> constant(PredictionGuarantee.class, text));
        cl.registerConverter(StateBackend.class, text -> constant(StateBackend.class, text));
        return cl;
    }

    private static String describe(ParameterException e, List<String> args) {
        if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String first = unmatched.getUnmatched().get(0);
            return first.startsWith("-")
                    ? flagName(first) + ": unknown flag"
                    : "'" + first + "': unexpected argument; every setting is a --flag";
        }
        if (e instanceof MissingParameterException missing && !missing.getMissing().isEmpty()) {
            List<String> names = missing.getMissing().stream().map(JobConfig::name).toList();
            if (names.size() == 1 && args.stream().anyMatch(arg -> flagName(arg).equals(names.get(0)))) {
                return names.get(0) + ": needs a value";
            }
            return String.join(", ", names)
                    + (names.size() == 1 ? ": required flag is missing" : ": required flags are missing");
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

    private static String flagName(String arg) {
        int eq = arg.indexOf('=');
        return eq < 0 ? arg : arg.substring(0, eq);
    }

    private static long wholeNumber(String text) {
        try {
            return Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a whole number");
        }
    }

    private static double number(String text) {
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new TypeConversionException("'" + text + "' is not a number");
        }
    }

    private static Duration duration(String text) {
        Duration parsed = DurationFlag.parse(text);
        if (parsed == null) {
            throw new TypeConversionException("'" + text + "' is not a duration such as 500ms, 30s, 10min, 2h or 1d");
        }
        return parsed;
    }

    private static <E extends Enum<E>> E constant(Class<E> type, String text) {
        try {
            return Enum.valueOf(type, text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String choices = Arrays.stream(type.getEnumConstants()).map(Enum::name).collect(Collectors.joining(", "));
            throw new TypeConversionException("'" + text + "' is not one of " + choices);
        }
    }

    private static void requireText(String flag, String value) {
        if (value == null || value.isBlank()) {
            throw new ConfigException(flag + ": must not be blank");
        }
    }

    private static void requireTopic(String flag, String topic) {
        requireText(flag, topic);
        if (!TOPIC_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new ConfigException(flag + ": '" + topic
                    + "' is not a Kafka topic name (1 to 249 of a-z A-Z 0-9 . _ -)");
        }
    }

    private static void requireDistinct(String flag, String topic, String otherFlag, String otherTopic) {
        if (topic.equals(otherTopic)) {
            throw new ConfigException(flag + ": must differ from " + otherFlag + ", both are '" + topic + "'");
        }
    }

    private static void requireRange(String flag, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ConfigException(flag + ": must be between " + min + " and " + max + ", was " + value);
        }
    }

    private static void requirePositive(String flag, double value, double max) {
        if (!(value > 0 && value <= max)) {
            throw new ConfigException(flag + ": must be above 0 and at most " + max + ", was " + value);
        }
    }

    private static void requirePresent(String flag, Object value) {
        if (value == null) {
            throw new ConfigException(flag + ": must be given");
        }
    }

    /** The mutable form picocli fills; whole numbers are read as longs and range-checked by the record. */
    @Command(name = "streaming-lstm job", sortOptions = false, usageHelpWidth = 110,
            description = "Trains a byte-level recurrent language model on text streams from Kafka "
                    + "and writes next-token predictions back to Kafka.")
    private static final class Flags {

        @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT,...",
                description = "Kafka bootstrap servers. Required.")
        String bootstrapServers;

        @Option(names = "--input-topic", paramLabel = "TOPIC",
                description = "Topic of TextEvent records, key = stream id. Default: ${DEFAULT-VALUE}.")
        String inputTopic = "text-in";

        @Option(names = "--prediction-topic", paramLabel = "TOPIC",
                description = "Topic the Prediction records go to. Default: ${DEFAULT-VALUE}.")
        String predictionTopic = "predictions";

        @Option(names = "--dead-letter-topic", paramLabel = "TOPIC",
                description = "Topic rejected input records go to, as DeadLetter records. Default: ${DEFAULT-VALUE}.")
        String deadLetterTopic = "text-dlq";

        @Option(names = "--group-id", paramLabel = "ID",
                description = "Consumer group of the input; prefix of client and transactional ids. "
                        + "Default: ${DEFAULT-VALUE}.")
        String groupId = "streaming-lstm";

        @Option(names = "--store", required = true, paramLabel = "URI",
                description = "Model store location, any Flink file system URI (file:///..., s3://...). Required.")
        String store;

        @Option(names = "--window", paramLabel = "T",
                description = "Tokens per truncated-BPTT window, 1..4096. Default: ${DEFAULT-VALUE}.")
        long window = 64;

        @Option(names = "--batch", paramLabel = "N",
                description = "Windows per training batch, 1..4096. Default: ${DEFAULT-VALUE}.")
        long batch = 32;

        @Option(names = "--flush-ms", paramLabel = "MS",
                description = "A partly filled batch is trained after at most about this many ms; 0: only when full "
                        + "(or at a checkpoint or the end of input). Default: ${DEFAULT-VALUE}.")
        long flushMs = 200;

        @Option(names = "--embed", paramLabel = "N",
                description = "Token embedding size, 1..4096. Default: ${DEFAULT-VALUE}.")
        long embed = 32;

        @Option(names = "--hidden", paramLabel = "N",
                description = "Recurrent state size per layer, 1..8192. Default: ${DEFAULT-VALUE}.")
        long hidden = 128;

        @Option(names = "--layers", paramLabel = "N",
                description = "Recurrent layers, 1..16. Default: ${DEFAULT-VALUE}.")
        long layers = 1;

        @Option(names = "--cell", paramLabel = "LSTM|RNN",
                description = "Recurrent cell. Default: ${DEFAULT-VALUE}.")
        CellType cell = CellType.LSTM;

        @Option(names = "--conditioning-size", paramLabel = "N",
                description = "Length of every event's feature vector; 0: events carry none. "
                        + "Default: ${DEFAULT-VALUE}.")
        long conditioningSize = 0;

        @Option(names = "--optimizer", paramLabel = "ADAM|ADAGRAD|SGD",
                description = "Optimiser. Default: ${DEFAULT-VALUE}.")
        Optimizer optimizer = Optimizer.ADAM;

        @Option(names = "--learning-rate", paramLabel = "RATE",
                description = "Optimiser step size, above 0, at most 10. Default: ${DEFAULT-VALUE}.")
        double learningRate = 2e-3;

        @Option(names = "--clip-norm", paramLabel = "NORM",
                description = "Gradients with a larger global norm are scaled down to it. Default: ${DEFAULT-VALUE}.")
        double clipNorm = 5.0;

        @Option(names = "--checkpoint-interval-ms", paramLabel = "MS",
                description = "Flink checkpoint interval, 100..86400000. Default: ${DEFAULT-VALUE}.")
        long checkpointIntervalMs = 10_000;

        @Option(names = "--parallelism", paramLabel = "N",
                description = "Parallelism of training. Default: ${DEFAULT-VALUE}.")
        long parallelism = 1;

        @Option(names = "--inference-parallelism", paramLabel = "N",
                description = "Parallelism of inference. Default: ${DEFAULT-VALUE}.")
        long inferenceParallelism = 1;

        @Option(names = "--max-parallelism", paramLabel = "N",
                description = "Key groups of the keyed operators: the highest parallelism the job can ever be rescaled "
                        + "to, 1..32768; keep it the same across savepoints (changing it makes keyed state "
                        + "unrestorable). Default: ${DEFAULT-VALUE}.")
        long maxParallelism = 128;

        @Option(names = "--state-backend", paramLabel = "HASHMAP|ROCKSDB",
                description = "Where per-stream state lives: HASHMAP on the heap, ROCKSDB in embedded RocksDB on "
                        + "local disk (for millions of streams). Default: ${DEFAULT-VALUE}.")
        StateBackend stateBackend = StateBackend.HASHMAP;

        @Option(names = "--publish-every-windows", paramLabel = "N",
                description = "Trained windows between two published model versions. Default: ${DEFAULT-VALUE}.")
        long publishEveryWindows = 64;

        @Option(names = "--keep-versions", paramLabel = "N",
                description = "Model versions the store keeps. Default: ${DEFAULT-VALUE}.")
        long keepVersions = 20;

        @Option(names = "--max-record-bytes", paramLabel = "BYTES",
                description = "Input values larger than this are dead letters, 64..16777216. "
                        + "Default: ${DEFAULT-VALUE}.")
        long maxRecordBytes = 65_536;

        @Option(names = "--stream-idle-timeout", paramLabel = "DURATION", defaultValue = "30min",
                description = "A stream's state is dropped after this long without input (500ms, 30s, 10min, "
                        + "2h, 1d), 1s..365d. Default: ${DEFAULT-VALUE}.")
        Duration streamIdleTimeout;

        @Option(names = "--prediction-guarantee", paramLabel = "AT_LEAST_ONCE|EXACTLY_ONCE",
                description = "Delivery guarantee of predictions; EXACTLY_ONCE makes them visible to "
                        + "read_committed consumers only at checkpoints. Default: ${DEFAULT-VALUE}.")
        PredictionGuarantee predictionGuarantee = PredictionGuarantee.AT_LEAST_ONCE;

        @Option(names = "--top-k", paramLabel = "K",
                description = "Most likely next tokens per prediction, 1..258. Default: ${DEFAULT-VALUE}.")
        long topK = 5;

        @Option(names = "--continuation-length", paramLabel = "BYTES",
                description = "Bytes of greedy continuation per prediction, 0..4096. Default: ${DEFAULT-VALUE}.")
        long continuationLength = 32;

        @Option(names = "--context-bytes", paramLabel = "BYTES",
                description = "Recent bytes per stream kept for inference, 1..65536. Default: ${DEFAULT-VALUE}.")
        long contextBytes = 256;

        @Option(names = "--seed", paramLabel = "N",
                description = "Seed of every random choice of the job. Default: ${DEFAULT-VALUE}.")
        long seed = 42;

        @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
                description = "A property for every Kafka client, e.g. security.protocol=SASL_SSL; repeatable; "
                        + "wins over --kafka-properties-file.")
        List<String> kafkaProperty = new ArrayList<>();

        @Option(names = "--kafka-properties-file", paramLabel = "FILE",
                description = "A Java properties file of properties for every Kafka client (SASL, SSL, ...).")
        Path kafkaPropertiesFile;

        JobConfig toConfig() {
            return new JobConfig(bootstrapServers, inputTopic, predictionTopic, deadLetterTopic, groupId, store,
                    narrow("--window", window), narrow("--batch", batch), flushMs, narrow("--embed", embed),
                    narrow("--hidden", hidden), narrow("--layers", layers), cell,
                    narrow("--conditioning-size", conditioningSize), optimizer, learningRate, clipNorm,
                    checkpointIntervalMs, narrow("--parallelism", parallelism),
                    narrow("--inference-parallelism", inferenceParallelism),
                    narrow("--max-parallelism", maxParallelism), stateBackend,
                    narrow("--publish-every-windows", publishEveryWindows), narrow("--keep-versions", keepVersions),
                    narrow("--max-record-bytes", maxRecordBytes), streamIdleTimeout, predictionGuarantee,
                    narrow("--top-k", topK), narrow("--continuation-length", continuationLength),
                    narrow("--context-bytes", contextBytes), seed, kafkaProperties());
        }

        private SortedMap<String, String> kafkaProperties() {
            SortedMap<String, String> merged = new TreeMap<>();
            if (kafkaPropertiesFile != null) {
                Properties fromFile = new Properties();
                try (Reader reader = Files.newBufferedReader(kafkaPropertiesFile, StandardCharsets.UTF_8)) {
                    fromFile.load(reader);
                } catch (IOException | IllegalArgumentException e) {
                    throw new ConfigException("--kafka-properties-file: cannot read " + kafkaPropertiesFile + " ("
                            + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                            + ")");
                }
                fromFile.stringPropertyNames().forEach(key -> merged.put(key, fromFile.getProperty(key)));
            }
            for (String pair : kafkaProperty) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new ConfigException("--kafka-property: '" + pair + "' is not KEY=VALUE");
                }
                merged.put(pair.substring(0, eq).trim(), pair.substring(eq + 1));
            }
            return merged;
        }

        private static int narrow(String flag, long value) {
            if (value != (int) value) {
                throw new ConfigException(flag + ": " + value + " is out of range");
            }
            return (int) value;
        }
    }
}
