package dev.streaminglstm.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One {@link EmbeddedKafkaBroker} per test class: register it as {@code @RegisterExtension static final}. Adds
 * small helpers to write and read raw byte records. {@link #secured()} makes one with a secured listener as well;
 * the helpers then act as the cluster's operator, on the plaintext listener.
 */
public final class KafkaBrokerExtension implements BeforeAllCallback, AfterAllCallback {

    private final boolean secured;
    private EmbeddedKafkaBroker broker;
    private Path tlsDir;
    private SelfSignedTls tls;

    public KafkaBrokerExtension() {
        this(false);
    }

    private KafkaBrokerExtension(boolean secured) {
        this.secured = secured;
    }

    /** A broker with a secured listener ({@link EmbeddedKafkaBroker#startSecured}) and a TLS key made for it. */
    public static KafkaBrokerExtension secured() {
        return new KafkaBrokerExtension(true);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        if (secured) {
            tlsDir = Files.createTempDirectory("kafka-tls");
            tls = SelfSignedTls.generate(tlsDir);
            broker = EmbeddedKafkaBroker.startSecured(tls);
        } else {
            broker = EmbeddedKafkaBroker.start();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (broker != null) {
            broker.close();
            broker = null;
        }
        if (tlsDir != null) {
            try (var files = Files.walk(tlsDir)) {
                for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(file);
                }
            }
            tlsDir = null;
        }
    }

    /** The running broker's {@code host:port}: on a secured broker, its operator's plaintext listener. */
    public String bootstrapServers() {
        return running().bootstrapServers();
    }

    /** The running broker itself: its secured listener, users and ACLs. */
    public EmbeddedKafkaBroker broker() {
        return running();
    }

    /** The TLS identity of a {@link #secured()} broker. */
    public SelfSignedTls tls() {
        running().securedBootstrapServers(); // throws unless secured
        return tls;
    }

    /**
     * The properties of a client of the secured listener: SASL_SSL, SCRAM-SHA-512 as {@code user} with
     * {@code password}, trusting the broker's certificate. A password such as {@code ${env:VARIABLE}} is left to
     * Kafka's {@code EnvVarConfigProvider}, which these properties then name. No {@code bootstrap.servers}: the
     * secured listener's is {@code broker().securedBootstrapServers()}.
     */
    public Properties securedClientProperties(String user, String password) {
        Properties properties = new Properties();
        properties.put("security.protocol", "SASL_SSL");
        properties.put("sasl.mechanism", EmbeddedKafkaBroker.SCRAM.mechanismName());
        properties.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + user + "\" password=\"" + password + "\";");
        properties.put("ssl.truststore.type", "PEM");
        properties.put("ssl.truststore.location", tls().certificatePem().toString());
        if (password.contains("${env:")) {
            properties.put("config.providers", "env");
            properties.put("config.providers.env.class",
                    "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
        }
        return properties;
    }

    /**
     * Writes {@code properties} to {@code file} as {@code --kafka-properties-file} reads it: one {@code key=value}
     * line each, sorted, unescaped, as a person writes them (values with a backslash or a line break are refused).
     */
    public static Path write(Properties properties, Path file) {
        StringBuilder lines = new StringBuilder();
        new TreeMap<>(properties).forEach((key, value) -> {
            if (value.toString().matches("(?s).*[\\\\\n\r].*")) {
                throw new IllegalArgumentException("write cannot write " + key + " unescaped");
            }
            lines.append(key).append('=').append(value).append('\n');
        });
        try {
            return Files.writeString(file, lines);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** See {@link EmbeddedKafkaBroker#createTopics}. */
    public void createTopics(int partitions, String... names) {
        running().createTopics(partitions, names);
    }

    /** A new producer of byte records with {@code acks=all}; the caller closes it. */
    public Producer<byte[], byte[]> newProducer() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Writes one record and waits until the broker has it; returns where it landed. */
    public RecordMetadata produce(String topic, byte[] key, byte[] value) {
        return produce(new ProducerRecord<>(topic, key, value));
    }

    /** Writes one record and waits until the broker has it; returns where it landed. */
    public RecordMetadata produce(ProducerRecord<byte[], byte[]> record) {
        try (Producer<byte[], byte[]> producer = newProducer()) {
            return producer.send(record).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write to " + record.topic(), e.getCause());
        }
    }

    /**
     * Reads {@code topic} from the beginning (committed records only) until {@code count} records came or
     * {@code timeout} passed, and returns what came: fewer than {@code count} on timeout, so callers assert the size.
     */
    public List<ConsumerRecord<byte[], byte[]>> consume(String topic, int count, Duration timeout) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = committedReader(topic)) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (records.size() < count && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    /**
     * A consumer of {@code topic} from its beginning, of committed records only, in a group of its own that commits
     * nothing; the caller polls and closes it.
     */
    public KafkaConsumer<byte[], byte[]> committedReader(String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** Per-partition end offsets of {@code topic}, to check that nothing more than expected was written. */
    public Map<Integer, Long> endOffsets(String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<Integer, Long> ends = new TreeMap<>();
            consumer.endOffsets(partitions).forEach((tp, offset) -> ends.put(tp.partition(), offset));
            return ends;
        }
    }

    private EmbeddedKafkaBroker running() {
        if (broker == null) {
            throw new IllegalStateException("no broker: register the extension as a static field");
        }
        return broker;
    }
}
