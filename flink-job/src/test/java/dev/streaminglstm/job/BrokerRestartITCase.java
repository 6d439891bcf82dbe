package dev.streaminglstm.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job with checkpoints, its broker stopped mid-run and started again a few seconds later on the same
 * port and data folder, twice: the job goes on (restarting from a checkpoint if it must), and at the end the
 * latest model counts exactly the windows and tokens the input makes (none lost, none trained twice) and every
 * accepted chunk has a prediction at its true byte position. The input is paced at the job's speed, and each stop
 * comes right after a lot of records was sent, so that they are in flight when the broker goes.
 */
class BrokerRestartITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots(METRICS.addToConfiguration(new Configuration()));

    private static final int WINDOW = 16;
    private static final Input INPUT = Input.generate(2026_12_04L, 6, 60);
    private static final double[] FAULT_POINTS = {0.33, 0.66};
    private static final Duration OUTAGE = Duration.ofSeconds(5);
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final int LOT = 12;
    /** Accepted chunks sent but not yet predicted, at most, before the next lot. */
    private static final int IN_FLIGHT = 24;
    private static final InetAddress HOST = InetAddress.getLoopbackAddress();

    @TempDir
    Path kafkaDir;

    @TempDir
    Path storeDir;

    private EmbeddedKafkaBroker broker;

    @AfterEach
    void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void aBrokerRestartedMidRunLosesNothingAndTrainsNothingTwice() throws Exception {
        broker = EmbeddedKafkaBroker.startOn(HOST, 0, kafkaDir);
        String bootstrap = broker.bootstrapServers();
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        broker.createTopics(2, "text-in", "predictions");
        broker.createTopics(1, "text-dlq");
        JobConfig config = JobConfig.parse("--bootstrap-servers", bootstrap, "--store", storeDir.toUri().toString(),
                "--group-id", "broker-restart", "--embed", "8", "--hidden", "16", "--window", Integer.toString(WINDOW),
                "--batch", "1", "--flush-ms", "0", "--publish-every-windows", "1", "--checkpoint-interval-ms", "500",
                "--continuation-length", "0", "--top-k", "1", "--keep-versions", "5");
        StreamExecutionEnvironment env = MiniClusters.withRestarts(100, Duration.ofSeconds(1));
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        ModelStore store = ModelStores.open(config.store().uri());

        JobClient job = env.executeAsync("broker restart");
        List<String> faults = new ArrayList<>();
        Map<String, Long> predicted = new HashMap<>();
        try (Producer<byte[], byte[]> producer = producer(bootstrap);
                KafkaConsumer<byte[], byte[]> reader = reader(bootstrap)) {
            List<TextEvent> records = INPUT.records();
            for (int sent = 0; sent < records.size(); ) {
                int next = Math.min(records.size(), sent + LOT);
                send(producer, records.subList(sent, next));
                sent = next;
                int target = INPUT.acceptedAmongFirst(sent) - IN_FLIGHT;
                awaitPredictions(job, reader, predicted, target);
                if (faults.size() < FAULT_POINTS.length
                        && INPUT.acceptedAmongFirst(sent) >= FAULT_POINTS[faults.size()] * INPUT.accepted()) {
                    next = Math.min(records.size(), sent + LOT);
                    send(producer, records.subList(sent, next)); // in flight when the broker goes
                    sent = next;
                    faults.add(restartBroker(port) + " at " + sent + " of " + records.size() + " records");
                }
            }
            awaitPredictions(job, reader, predicted, INPUT.accepted());
            awaitOrFail(job, () -> "LATEST at " + windowsPublished(store) + " of " + INPUT.windows(WINDOW) + " windows",
                    () -> windowsPublished(store) >= INPUT.windows(WINDOW));
            ModelManifest last = latest(store);
            printFigures(faults, job.getJobID(), predicted, recordsOn(reader, "predictions"), last);

            assertThat(faults).as("broker restarts").hasSize(FAULT_POINTS.length);
            assertThat(job.getJobStatus().get()).as("the job after the restarts").isEqualTo(JobStatus.RUNNING);
            assertThat(last.getWindowsTrained()).as("windows trained, as the input makes them")
                    .isEqualTo(INPUT.windows(WINDOW));
            assertThat(last.getTokensTrained()).as("tokens trained").isEqualTo(INPUT.windows(WINDOW) * WINDOW);
            assertThat(predicted).as("each accepted chunk's prediction at its byte position (stream/sequence)")
                    .containsExactlyInAnyOrderEntriesOf(INPUT.bytePositions());
        } finally {
            if (!job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get(1, TimeUnit.MINUTES);
            }
        }
    }

    /** Stops the broker, waits {@link #OUTAGE}, starts it again on the same port and folder; says how it went. */
    private String restartBroker(int port) throws InterruptedException {
        long at = System.nanoTime();
        broker.close();
        broker = null;
        Thread.sleep(OUTAGE.toMillis());
        broker = EmbeddedKafkaBroker.startOn(HOST, port, kafkaDir);
        return String.format(Locale.ROOT, "broker down for %d ms", (System.nanoTime() - at) / 1_000_000);
    }

    private static void send(Producer<byte[], byte[]> producer, List<TextEvent> events) {
        for (TextEvent event : events) {
            byte[] key = WireFormat.key(event.getStreamId());
            producer.send(new ProducerRecord<>("text-in", key, WireFormat.value(event)));
        }
        producer.flush();
    }

    /**
     * Reads predictions until {@code target} distinct chunks have one, noting each one's byte position (a duplicate
     * must agree with the first).
     */
    private static void awaitPredictions(JobClient job, KafkaConsumer<byte[], byte[]> reader,
            Map<String, Long> predicted, int target) throws Exception {
        awaitOrFail(job, () -> predicted.size() + " of " + target + " chunks predicted", () -> {
            for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(100))) {
                Prediction p = decode(record.value());
                String chunk = p.getStreamId() + "/" + p.getSequenceNumber();
                Long before = predicted.put(chunk, p.getBytePosition());
                assertThat(before == null || before == p.getBytePosition())
                        .as("%s predicted twice, at %s and %d", chunk, before, p.getBytePosition()).isTrue();
            }
            return predicted.size() >= target;
        });
    }

    /** Records written to {@code topic}, duplicates included (the reader itself may read some twice). */
    private static long recordsOn(KafkaConsumer<byte[], byte[]> reader, String topic) {
        List<TopicPartition> partitions = reader.partitionsFor(topic).stream()
                .map(p -> new TopicPartition(topic, p.partition())).toList();
        return reader.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
    }

    /** Waits until {@code done}, failing with {@code progress} if the job ends or {@link #PATIENCE} passes. */
    private static void awaitOrFail(JobClient job, Supplier<String> progress, BooleanSupplier done)
            throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                job.getJobExecutionResult().get(); // throws the job's failure
                throw new AssertionError("the job ended on its own");
            }
            assertThat(System.nanoTime() - deadline).as("waited %s: %s", PATIENCE, progress.get()).isNegative();
            Thread.sleep(100);
        }
    }

    private static long windowsPublished(ModelStore store) {
        ModelManifest latest = latest(store);
        return latest == null ? 0 : latest.getWindowsTrained();
    }

    private static ModelManifest latest(ModelStore store) {
        try {
            OptionalLong version = store.latestVersion();
            return version.isPresent() ? store.readVersion(version.getAsLong()).manifest() : null;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A job-wide gauge of Flink's, such as {@code numRestarts}; -1 if there is none. */
    private static long jobGauge(JobID job, String name) {
        return METRICS.findMetrics(job, name).values().stream()
                .mapToLong(metric -> ((Number) ((Gauge<?>) metric).getValue()).longValue()).max().orElse(-1);
    }

    private static Prediction decode(byte[] value) {
        try {
            return Prediction.getDecoder().decode(value);
        } catch (IOException e) {
            throw new AssertionError("not a Prediction on the prediction topic", e);
        }
    }

    private static void printFigures(List<String> faults, JobID job, Map<String, Long> predicted,
            long predictionRecords, ModelManifest last) {
        faults.forEach(fault -> System.out.println("broker-restart: " + fault));
        long lost = INPUT.bytePositions().keySet().stream().filter(chunk -> !predicted.containsKey(chunk)).count();
        System.out.printf(Locale.ROOT, "run=broker-restart faults_injected=%d faults_survived=%d restarts=%d "
                        + "checkpoints_failed=%d records_lost=%d sent=%d trained=%d dead_lettered=0 dropped=%d "
                        + "prediction_records=%d windows=%d/%d tokens=%d/%d versions_latest=%d%n",
                faults.size(), faults.size(), jobGauge(job, "numRestarts"),
                jobGauge(job, "numberOfFailedCheckpoints"), lost, INPUT.records().size(), INPUT.accepted(),
                INPUT.records().size() - INPUT.accepted(), predictionRecords, last.getWindowsTrained(),
                INPUT.windows(WINDOW), last.getTokensTrained(), INPUT.windows(WINDOW) * WINDOW, last.getVersion());
    }

    private static Producer<byte[], byte[]> producer(String bootstrap) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> reader(String bootstrap) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of("predictions"));
        return consumer;
    }

    /**
     * Interleaved chunks of a few streams from a seed, with document starts and replays the job must drop, and what
     * a job that loses nothing and counts nothing twice makes of them, worked out from the bytes alone.
     */
    private static final class Input {
        private static final String[] WORDS = {"Europe ", "le ", "Parlement ", "der ", "Rat ", "é ", "δημοκρατία ",
            "and ", "the ", "über ", "1999. ", "€ "};

        private final List<TextEvent> records;
        private final int[] acceptedAmongFirst;
        /** Each accepted chunk ("stream/sequence") and its stream's bytes up to its end. */
        private final Map<String, Long> bytePositions = new TreeMap<>();
        private final Map<String, Long> tokensPerStream = new HashMap<>();

        private Input(List<TextEvent> records) {
            this.records = List.copyOf(records);
            acceptedAmongFirst = new int[records.size() + 1];
            Map<String, Long> lastSequence = new HashMap<>();
            Map<String, Long> bytes = new HashMap<>();
            for (int i = 0; i < records.size(); i++) {
                TextEvent event = records.get(i);
                String stream = event.getStreamId();
                boolean replay = event.getSequenceNumber() <= lastSequence.getOrDefault(stream, 0L);
                acceptedAmongFirst[i + 1] = acceptedAmongFirst[i] + (replay ? 0 : 1);
                if (replay) {
                    continue;
                }
                lastSequence.put(stream, event.getSequenceNumber());
                int length = event.getText().getBytes(StandardCharsets.UTF_8).length;
                // <start> opens a document; <end> first closes the one before, if the stream has any tokens
                long marks = !event.getStartsDocument() ? 0 : tokensPerStream.containsKey(stream) ? 2 : 1;
                tokensPerStream.merge(stream, marks + length, Long::sum);
                bytePositions.put(stream + "/" + event.getSequenceNumber(), bytes.merge(stream, (long) length,
                        Long::sum));
            }
        }

        /** {@code chunks} chunks of each of {@code streams} streams, one chunk of every stream in turn. */
        static Input generate(long seed, int streams, int chunks) {
            Random random = new Random(seed);
            List<TextEvent> events = new ArrayList<>();
            for (int c = 1; c <= chunks; c++) {
                for (int s = 0; s < streams; s++) {
                    StringBuilder text = new StringBuilder();
                    for (int w = 2 + random.nextInt(5); w > 0; w--) {
                        text.append(WORDS[random.nextInt(WORDS.length)]);
                    }
                    events.add(TextEvent.newBuilder().setStreamId("stream-" + s).setSequenceNumber(c)
                            .setText(text.toString()).setEventTime(Instant.ofEpochMilli(1_750_000_000_000L + c))
                            .setStartsDocument(c == 1 || random.nextInt(15) == 0).setFeatures(null).build());
                    if (c > 3 && random.nextInt(20) == 0) {
                        events.add(events.get(events.size() - 1 - random.nextInt(2 * streams) - 1)); // a replay
                    }
                }
            }
            return new Input(events);
        }

        List<TextEvent> records() {
            return records;
        }

        int acceptedAmongFirst(int n) {
            return acceptedAmongFirst[n];
        }

        int accepted() {
            return bytePositions.size();
        }

        Map<String, Long> bytePositions() {
            return bytePositions;
        }

        /** Windows of {@code window + 1} tokens, consecutive ones sharing a token: (n - 1) / T of n tokens. */
        long windows(int window) {
            return tokensPerStream.values().stream().mapToLong(n -> n > window ? (n - 1) / window : 0).sum();
        }
    }
}
