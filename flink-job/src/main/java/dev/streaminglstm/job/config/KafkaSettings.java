package dev.streaminglstm.job.config;

import dev.streaminglstm.schema.wire.Encoding;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Where the job reads and writes: the Kafka cluster, its topics and their wire format, its client properties, the
 * sinks' guarantee.
 */
public final class KafkaSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    /** Kafka producer property of the transaction timeout. */
    public static final String TRANSACTION_TIMEOUT = "transaction.timeout.ms";

    /** Transaction timeout when {@value #TRANSACTION_TIMEOUT} is not among the Kafka client properties. */
    public static final long DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;

    private static final Pattern SECRET_KEY = Pattern.compile("(?i).*(password|secret|jaas|token|credential).*");

    /** Delivery guarantee of the prediction sink; EXACTLY_ONCE writes in Kafka transactions per checkpoint. */
    public enum PredictionGuarantee { AT_LEAST_ONCE, EXACTLY_ONCE }

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT,...",
            description = "Kafka bootstrap servers. Required.")
    @Check.NotBlank
    private String bootstrapServers;

    @Option(names = "--input-topic", paramLabel = "TOPIC",
            description = "Topic of TextEvent records, key = stream id. Default: ${DEFAULT-VALUE}.")
    @Check.Topic
    private String inputTopic = "text-in";

    @Option(names = "--prediction-topic", paramLabel = "TOPIC",
            description = "Topic the Prediction records go to. Default: ${DEFAULT-VALUE}.")
    @Check.Topic
    private String predictionTopic = "predictions";

    @Option(names = "--dead-letter-topic", paramLabel = "TOPIC",
            description = "Topic rejected input records go to, as DeadLetter records. Default: ${DEFAULT-VALUE}.")
    @Check.Topic
    private String deadLetterTopic = "text-dlq";

    @Option(names = "--wire-format", paramLabel = "SINGLE_OBJECT|CONFLUENT",
            description = "Framing of every topic's values: Avro single-object encoding, or the Confluent "
                    + "schema registry's (schemas registered under <topic>-value). Default: ${DEFAULT-VALUE}.")
    private Encoding wireFormat = Encoding.SINGLE_OBJECT;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Base URL of the schema registry's Confluent-compatible API. "
                    + "Required with --wire-format CONFLUENT, refused otherwise.")
    private String schemaRegistryUrl;

    @Option(names = "--group-id", paramLabel = "ID",
            description = "Consumer group of the input; prefix of client and transactional ids. "
                    + "Default: ${DEFAULT-VALUE}.")
    @Check.NotBlank
    private String groupId = "streaming-lstm";

    @Option(names = "--max-record-bytes", paramLabel = "BYTES",
            description = "Input values larger than this are dead letters, 64..16777216. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 64, max = 16 << 20)
    private int maxRecordBytes = 65_536;

    @Option(names = "--prediction-guarantee", paramLabel = "AT_LEAST_ONCE|EXACTLY_ONCE",
            description = "Delivery guarantee of predictions; EXACTLY_ONCE makes them visible to "
                    + "read_committed consumers only at checkpoints. Default: ${DEFAULT-VALUE}.")
    private PredictionGuarantee predictionGuarantee = PredictionGuarantee.AT_LEAST_ONCE;

    @Option(names = "--kafka-property", paramLabel = "KEY=VALUE",
            description = "A property for every Kafka client, e.g. security.protocol=SASL_SSL; repeatable; "
                    + "wins over --kafka-properties-file.")
    private List<String> kafkaProperty = new ArrayList<>();

    @Option(names = "--kafka-properties-file", paramLabel = "FILE",
            description = "A Java properties file of properties for every Kafka client (SASL, SSL, ...).")
    private Path kafkaPropertiesFile;

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static KafkaSettings parse(String... flags) {
        return Flags.group(new KafkaSettings(), flags);
    }

    /** Checks the values and merges the properties file into {@code --kafka-property}, the flags winning. */
    @Override
    public void check() {
        Flags.check(this);
        requireDistinct("--prediction-topic", predictionTopic, "--input-topic", inputTopic);
        requireDistinct("--dead-letter-topic", deadLetterTopic, "--input-topic", inputTopic);
        requireDistinct("--dead-letter-topic", deadLetterTopic, "--prediction-topic", predictionTopic);
        valueFormat();
        SortedMap<String, String> merged = readPropertiesFile();
        for (String pair : kafkaProperty) {
            int eq = pair.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--kafka-property: '" + pair + "' is not KEY=VALUE");
            }
            String key = pair.substring(0, eq).trim();
            if (key.isEmpty()) {
                throw new ConfigException("--kafka-property: '" + pair + "' has an empty key");
            }
            merged.put(key, pair.substring(eq + 1));
        }
        kafkaProperty = new ArrayList<>();
        merged.forEach((key, value) -> kafkaProperty.add(key + "=" + value));
        kafkaPropertiesFile = null; // merged: the settings are written out as --kafka-property flags from now on
        transactionTimeoutMs();
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public String inputTopic() {
        return inputTopic;
    }

    public String predictionTopic() {
        return predictionTopic;
    }

    public String deadLetterTopic() {
        return deadLetterTopic;
    }

    /**
     * The wire format of the input, prediction and dead-letter values.
     *
     * @throws ConfigException naming {@code --schema-registry-url} when it does not go with {@code --wire-format}
     */
    public ValueFormat valueFormat() {
        return valueFormat(wireFormat, schemaRegistryUrl);
    }

    /**
     * The format of {@code --wire-format} and {@code --schema-registry-url}, checked as the job checks them; for the
     * commands that take the same two flags.
     *
     * @throws ConfigException naming {@code --schema-registry-url} when it does not go with {@code encoding}
     */
    public static ValueFormat valueFormat(Encoding encoding, String registryUrl) {
        if (encoding == Encoding.CONFLUENT && (registryUrl == null || registryUrl.isBlank())) {
            throw new ConfigException("--schema-registry-url: required with --wire-format CONFLUENT");
        }
        if (encoding != Encoding.CONFLUENT && registryUrl != null) {
            throw new ConfigException("--schema-registry-url: used with --wire-format CONFLUENT only, not " + encoding);
        }
        try {
            return new ValueFormat(encoding, registryUrl);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("--schema-registry-url: " + e.getMessage());
        }
    }

    public String groupId() {
        return groupId;
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    public PredictionGuarantee predictionGuarantee() {
        return predictionGuarantee;
    }

    /** The extra client properties: the properties file merged with the {@code --kafka-property} flags. */
    public SortedMap<String, String> clientProperties() {
        SortedMap<String, String> map = new TreeMap<>();
        for (String pair : kafkaProperty) {
            int eq = pair.indexOf('=');
            map.put(pair.substring(0, eq), pair.substring(eq + 1));
        }
        return Collections.unmodifiableSortedMap(map);
    }

    /**
     * Properties for every Kafka client of the job (consumers, producers, admin): the extra client properties
     * and {@code bootstrap.servers}, which {@code --bootstrap-servers} sets whatever the extra ones say.
     * A new, mutable copy on every call.
     */
    public Properties clientConfig() {
        Properties properties = new Properties();
        properties.putAll(clientProperties());
        properties.setProperty("bootstrap.servers", bootstrapServers);
        return properties;
    }

    /**
     * Timeout of the prediction sink's Kafka transactions with EXACTLY_ONCE: the client property
     * {@value #TRANSACTION_TIMEOUT} if given, else {@value #DEFAULT_TRANSACTION_TIMEOUT_MS} ms, below the broker's
     * default maximum of 15 minutes (the sink's own default of one hour is above it and fails).
     */
    public long transactionTimeoutMs() {
        String value = clientProperties().get(TRANSACTION_TIMEOUT);
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

    /** The flags, with the values of secret-looking client properties masked. */
    List<String> maskedArgs() {
        List<String> shown = new ArrayList<>(Flags.toArgs(this));
        for (int i = 1; i < shown.size(); i++) {
            String key = shown.get(i).split("=", 2)[0];
            if (shown.get(i - 1).equals("--kafka-property") && SECRET_KEY.matcher(key).matches()) {
                shown.set(i, key + "=****");
            }
        }
        return shown;
    }

    private SortedMap<String, String> readPropertiesFile() {
        SortedMap<String, String> merged = new TreeMap<>();
        if (kafkaPropertiesFile != null) {
            Properties fromFile = new Properties();
            try (Reader reader = Files.newBufferedReader(kafkaPropertiesFile, StandardCharsets.UTF_8)) {
                fromFile.load(reader);
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("--kafka-properties-file: cannot read " + kafkaPropertiesFile + " ("
                        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")");
            }
            fromFile.stringPropertyNames().forEach(key -> merged.put(key, fromFile.getProperty(key)));
        }
        return merged;
    }

    private static void requireDistinct(String flag, String topic, String otherFlag, String otherTopic) {
        if (topic.equals(otherTopic)) {
            throw new ConfigException(flag + ": must differ from " + otherFlag + ", both are '" + topic + "'");
        }
    }
}
