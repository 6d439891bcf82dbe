package dev.streaminglstm.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.RejectReason;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.Publication;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job, as {@link StreamingLstmJob#build} wires it, with the real Kafka source and sinks against an in-JVM
 * broker and a local model store: while text keeps arriving on several streams, it trains, publishes versions whose
 * loss falls, serves them to live predictions on every stream, drops replayed chunks and routes bad records to the
 * dead-letter topic with their reasons.
 *
 * <p>The text is fed in a closed loop, so that the job's own pace, whatever the machine's load, sets the input rate
 * and no backlog delays the aligned checkpoints (and with them new model versions): a stream gets its next chunk only
 * while fewer than {@value #IN_FLIGHT} of its chunks await their prediction, and only while the newest version has
 * been trained on all but {@value #TRAINING_SLACK_BYTES} of the bytes sent.
 */
class StreamingLstmJobITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final int IN_FLIGHT = 3;
    private static final long TRAINING_SLACK_BYTES = 1_200;
    /** Every this many chunks, the chunk just sent is sent again, as a replaying producer would. */
    private static final int REPLAY_EVERY = 10;
    private static final int MIN_VERSIONS = 4;
    /** How much lower, in bits per token, the last version's recent loss must be than the first's. */
    private static final double LOSS_DROP_BITS = 0.5;
    /** Sequence numbers of bad records: far above any good chunk's, so one let through would silence its stream. */
    private static final long BAD_SEQUENCE = 1_000_000;
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_750_000_000_000L);

    @TempDir
    Path storeDir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void trainsPublishesAndPredictsOnLiveStreamsAndRoutesBadRecords() throws Exception {
        KAFKA.createTopics(2, "text-in", "predictions");
        KAFKA.createTopics(1, "text-dlq");
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(),
                "--store", storeDir.toUri().toString(), "--group-id", "streaming-lstm-it",
                "--embed", "16", "--hidden", "32", "--window", "16", "--batch", "4", "--publish-every-windows", "4",
                "--learning-rate", "0.01", "--checkpoint-interval-ms", "1000", "--keep-versions", "1000",
                "--inference-parallelism", "2", "--continuation-length", "8", "--max-record-bytes", "512");
        List<TextStream> streams = List.of(
                new TextStream("markets", "The market opened higher today. ", "Shares of the bank rose. ",
                        "Analysts expect more gains. "),
                new TextStream("weather", "Rain is expected in the north. ", "The south stays dry and warm. ",
                        "Winds are light. "),
                new TextStream("kitchen", "Mix the flour with the butter. ", "Bake the crème brûlée slowly. ",
                        "Serve it warm. "));
        Map<RejectReason, ProducerRecord<byte[], byte[]>> bad = badRecords();

        StreamExecutionEnvironment env = MiniClusters.environment(1);
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);

        ModelStore store = ModelStores.open(config.store().uri());
        Map<String, TextStream> byId = new HashMap<>();
        streams.forEach(stream -> byId.put(stream.id, stream));
        List<Prediction> predictions = new ArrayList<>();
        List<ModelManifest> versions = List.of();
        JobClient job = env.executeAsync("streaming-lstm end to end");
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer();
                KafkaConsumer<byte[], byte[]> reader = committedReader("predictions")) {
            for (ProducerRecord<byte[], byte[]> record : bad.values()) {
                producer.send(record);
            }
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            long nextLook = System.nanoTime();
            long bytesSent = 0;
            long tokensTrained = 0;
            int sent = 0;
            while (true) {
                for (TextStream stream : streams) {
                    if (stream.awaitingPrediction() < IN_FLIGHT && bytesSent - tokensTrained < TRAINING_SLACK_BYTES) {
                        producer.send(stream.nextChunk());
                        bytesSent += stream.lastChunkBytes();
                        if (++sent % REPLAY_EVERY == 0) {
                            producer.send(stream.replayOfLastChunk());
                        }
                    }
                }
                producer.flush();
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(100))) {
                    Prediction p = decode(record);
                    predictions.add(p);
                    byId.get(p.getStreamId()).predicted(p.getSequenceNumber());
                }
                if (System.nanoTime() - nextLook >= 0) {
                    if (job.getJobStatus().get().isGloballyTerminalState()) {
                        job.getJobExecutionResult().get(); // throws the job's failure
                        throw new AssertionError("the job ended on its own");
                    }
                    versions = store.listVersions();
                    tokensTrained = versions.isEmpty() ? 0 : versions.get(versions.size() - 1).getTokensTrained();
                    if (enoughProgress(streams, predictions, versions) || System.nanoTime() - deadline >= 0) {
                        break;
                    }
                    nextLook = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
                }
            }
            // Nothing more is sent: every chunk sent so far must get its prediction.
            while (streams.stream().anyMatch(stream -> stream.awaitingPrediction() > 0)
                    && System.nanoTime() - deadline - PATIENCE.toNanos() < 0) {
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(100))) {
                    Prediction p = decode(record);
                    predictions.add(p);
                    byId.get(p.getStreamId()).predicted(p.getSequenceNumber());
                }
            }
        } finally {
            if (!job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get(1, TimeUnit.MINUTES);
            }
        }

        // The store: several versions, trained on more and more tokens, with falling loss.
        assertThat(versions).as("published versions").hasSizeGreaterThanOrEqualTo(MIN_VERSIONS);
        ModelManifest first = versions.get(0);
        ModelManifest last = versions.get(versions.size() - 1);
        assertThat(last.getVersion()).isGreaterThan(first.getVersion());
        assertThat(last.getTokensTrained()).isGreaterThan(first.getTokensTrained());
        for (int i = 1; i < versions.size(); i++) {
            assertThat(versions.get(i).getTokensTrained()).isGreaterThanOrEqualTo(versions.get(i - 1).getTokensTrained());
        }
        assertThat(first.getRecentLossBpc()).isNotNull();
        assertThat(last.getRecentLossBpc()).as("recent loss of the last version, in bits per token")
                .isLessThan(first.getRecentLossBpc() - LOSS_DROP_BITS);

        // The predictions: one per accepted chunk, in order per stream, served by rising versions, each once LATEST
        // pointed at it and not before.
        Map<Long, Publication> published = new HashMap<>();
        store.publications().forEach(p -> published.put(p.version(), p));
        for (TextStream stream : streams) {
            List<Prediction> mine = predictions.stream().filter(p -> p.getStreamId().equals(stream.id)).toList();
            assertThat(mine).as("predictions of %s", stream.id).isNotEmpty();
            long previousSequence = 0;
            long previousVersion = 0;
            for (Prediction p : mine) {
                assertThat(p.getSequenceNumber()).as("%s: in order, each chunk once", stream.id)
                        .isGreaterThan(previousSequence);
                previousSequence = p.getSequenceNumber();
                assertThat(p.getBytePosition()).as("%s #%d: bytes up to it", stream.id, p.getSequenceNumber())
                        .isEqualTo(stream.bytePosition(p.getSequenceNumber()));
                if (p.getStatus() == PredictionStatus.NO_MODEL) {
                    assertThat(previousVersion).as("%s: no NO_MODEL once a model is served", stream.id).isZero();
                    continue;
                }
                assertThat(p.getModelVersion()).as("%s: versions never go back", stream.id)
                        .isGreaterThanOrEqualTo(previousVersion)
                        .isIn(published.keySet());
                published.get(p.getModelVersion()).at().ifPresent(at -> assertThat(p.getEmittedAt())
                        .as("%s #%d: made with version %d once it was LATEST", stream.id, p.getSequenceNumber(),
                                p.getModelVersion()).isAfterOrEqualTo(at));
                previousVersion = p.getModelVersion();
                assertWellFormed(p, config.inference().topK());
            }
            assertThat(mine).extracting(Prediction::getSequenceNumber).as("%s: one per chunk sent", stream.id)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, stream.sent()).boxed().toList());
            assertThat(mine.stream().filter(p -> p.getStatus() == PredictionStatus.OK)
                    .map(Prediction::getModelVersion).distinct().count())
                    .as("%s: model versions seen", stream.id).isGreaterThanOrEqualTo(2);
        }

        // The dead letters: each bad record once, with its reason code and its bytes.
        List<ConsumerRecord<byte[], byte[]>> dlq = KAFKA.consume("text-dlq", bad.size(), Duration.ofSeconds(30));
        assertThat(dlq).hasSize(bad.size());
        assertThat(KAFKA.endOffsets("text-dlq").values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(bad.size());
        Map<RejectReason, DeadLetter> byReason = new EnumMap<>(RejectReason.class);
        for (ConsumerRecord<byte[], byte[]> record : dlq) {
            DeadLetter dead = DeadLetter.getDecoder().decode(record.value());
            assertThat(dead.getReason()).isNotBlank();
            assertThat(byReason.put(RejectReason.valueOf(dead.getReasonCode()), dead)).as("one per reason").isNull();
        }
        assertThat(byReason.keySet()).containsExactlyInAnyOrderElementsOf(bad.keySet());
        bad.forEach((reason, record) -> {
            DeadLetter dead = byReason.get(reason);
            assertThat(WireFormat.bytes(dead.getValue())).as("value of the %s record", reason).isEqualTo(record.value());
            assertThat(dead.getKey() == null ? null : WireFormat.bytes(dead.getKey())).isEqualTo(record.key());
            assertThat(dead.getTopic()).isEqualTo("text-in");
        });
    }

    /** Done when every stream had OK predictions from two versions and the store shows learning. */
    private static boolean enoughProgress(List<TextStream> streams, List<Prediction> predictions,
            List<ModelManifest> versions) {
        if (versions.size() < MIN_VERSIONS) {
            return false;
        }
        Double firstLoss = versions.get(0).getRecentLossBpc();
        Double lastLoss = versions.get(versions.size() - 1).getRecentLossBpc();
        if (firstLoss == null || lastLoss == null || lastLoss >= firstLoss - LOSS_DROP_BITS) {
            return false;
        }
        return streams.stream().allMatch(stream -> predictions.stream()
                .filter(p -> p.getStreamId().equals(stream.id) && p.getStatus() == PredictionStatus.OK)
                .map(Prediction::getModelVersion).distinct().count() >= 2);
    }

    private static void assertWellFormed(Prediction p, int topK) {
        List<TokenProbability> top = p.getTopK();
        assertThat(top).hasSize(topK);
        for (int i = 0; i < top.size(); i++) {
            assertThat(top.get(i).getProbability()).isGreaterThan(0f).isLessThanOrEqualTo(1f);
            if (i > 0) {
                assertThat(top.get(i).getProbability()).isLessThanOrEqualTo(top.get(i - 1).getProbability());
            }
        }
        assertThat(p.getContinuation()).isNotNull();
        if (p.getSurpriseBits() != null) {
            assertThat(p.getSurpriseBits()).isFinite().isNotNegative();
        }
    }

    /** One record of each kind the job must reject, keyed by the reason it must give. */
    private static Map<RejectReason, ProducerRecord<byte[], byte[]>> badRecords() {
        byte[] badUtf8 = WireFormat.value(event("weather", BAD_SEQUENCE + 1, "@@@@"));
        int text = new String(badUtf8, StandardCharsets.ISO_8859_1).indexOf("@@@@");
        badUtf8[text] = (byte) 0xC3;
        badUtf8[text + 1] = (byte) 0x28;
        TextEvent withFeatures = TextEvent.newBuilder(event("kitchen", BAD_SEQUENCE + 2, "with features"))
                .setFeatures(List.of(0.5f)).build();
        Map<RejectReason, ProducerRecord<byte[], byte[]>> bad = new EnumMap<>(RejectReason.class);
        bad.put(RejectReason.BAD_AVRO, record("markets", "not avro at all".getBytes(StandardCharsets.UTF_8)));
        bad.put(RejectReason.INVALID_UTF8, record("weather", badUtf8));
        bad.put(RejectReason.TOO_LARGE, record("kitchen",
                WireFormat.value(event("kitchen", BAD_SEQUENCE + 3, "too long. ".repeat(60)))));
        bad.put(RejectReason.MISSING_STREAM_ID, new ProducerRecord<>("text-in", null,
                WireFormat.value(event("markets", BAD_SEQUENCE + 4, "no key"))));
        bad.put(RejectReason.KEY_MISMATCH, record("weather",
                WireFormat.value(event("markets", BAD_SEQUENCE + 5, "wrong key"))));
        bad.put(RejectReason.BAD_FEATURES, record("kitchen", WireFormat.value(withFeatures)));
        return bad;
    }

    private static ProducerRecord<byte[], byte[]> record(String key, byte[] value) {
        return new ProducerRecord<>("text-in", WireFormat.key(key), value);
    }

    private static TextEvent event(String streamId, long sequenceNumber, String text) {
        return TextEvent.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setText(text)
                .setEventTime(EVENT_TIME).setStartsDocument(false).build();
    }

    private static Prediction decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            Prediction p = Prediction.getDecoder().decode(record.value());
            assertThat(record.key()).isEqualTo(WireFormat.key(p.getStreamId()));
            return p;
        } catch (java.io.IOException e) {
            throw new AssertionError("not a Prediction on the prediction topic", e);
        }
    }

    private static KafkaConsumer<byte[], byte[]> committedReader(String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /**
     * One text stream: its sentences over and over, one per chunk, a new document every {@value #DOCUMENT_CHUNKS}
     * chunks; remembers the byte position each sent sequence number must report.
     */
    private static final class TextStream {
        static final int DOCUMENT_CHUNKS = 7;

        final String id;
        private final String[] sentences;
        private final Map<Long, Long> positions = new HashMap<>();
        private long sequence;
        private long position;
        private long predictedUpTo;
        private TextEvent last;

        TextStream(String id, String... sentences) {
            this.id = id;
            this.sentences = sentences;
        }

        ProducerRecord<byte[], byte[]> nextChunk() {
            String text = sentences[(int) (sequence % sentences.length)];
            last = TextEvent.newBuilder().setStreamId(id).setSequenceNumber(++sequence).setText(text)
                    .setEventTime(EVENT_TIME).setStartsDocument(sequence % DOCUMENT_CHUNKS == 1).build();
            position += text.getBytes(StandardCharsets.UTF_8).length;
            positions.put(sequence, position);
            return record(id, WireFormat.value(last));
        }

        /** UTF-8 bytes of the last chunk's text. */
        long lastChunkBytes() {
            return last.getText().getBytes(StandardCharsets.UTF_8).length;
        }

        /** Notes that the prediction of chunk {@code sequenceNumber} came. */
        void predicted(long sequenceNumber) {
            predictedUpTo = Math.max(predictedUpTo, sequenceNumber);
        }

        /** Chunks sent (replays not counted). */
        long sent() {
            return sequence;
        }

        /** Chunks sent whose prediction has not come yet. */
        long awaitingPrediction() {
            return sequence - predictedUpTo;
        }

        /** The last chunk again, as a replaying producer would send it; the job must drop it. */
        ProducerRecord<byte[], byte[]> replayOfLastChunk() {
            return record(id, WireFormat.value(last));
        }

        long bytePosition(long sequenceNumber) {
            Long at = positions.get(sequenceNumber);
            assertThat(at).as("%s #%d was sent", id, sequenceNumber).isNotNull();
            return at;
        }
    }
}
