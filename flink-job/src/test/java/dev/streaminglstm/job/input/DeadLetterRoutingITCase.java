package dev.streaminglstm.job.input;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.KafkaConnectors;
import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Source, router and dead-letter sink on a MiniCluster against a real in-JVM broker. */
class DeadLetterRoutingITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots(METRICS.addToConfiguration(new Configuration()));

    private static final Instant NOW = Instant.ofEpochMilli(1_750_000_000_000L);

    private static TextEvent event(String streamId, long sequenceNumber, String text, List<Float> features) {
        return TextEvent.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setText(text)
                .setEventTime(NOW).setStartsDocument(sequenceNumber == 0).setFeatures(features).build();
    }

    /** A bad record as written, and where the broker put it. */
    private record Sent(byte[] key, byte[] value, RecordMetadata where) { }

    /** The events a routing job let through, in the order they came, and the job's id. */
    private record Routed(List<TextEvent> passed, JobID jobId) { }

    /**
     * Runs the source, the router and the dead-letter sink of {@code config} at {@code parallelism} over the input
     * topic, up to its end when the job starts.
     */
    private static Routed route(JobConfig config, int parallelism, String jobName) throws Exception {
        StreamExecutionEnvironment env = MiniClusters.environment(parallelism);
        SingleOutputStreamOperator<TextEvent> valid = env
                .fromSource(KafkaConnectors.sourceBuilder(config).setBounded(OffsetsInitializer.latest()).build(),
                        WatermarkStrategy.noWatermarks(), "input")
                .process(new DeadLetterRouter()).name("route");
        valid.getSideOutput(DeadLetterRouter.DEAD_LETTERS).sinkTo(KafkaConnectors.deadLetterSink(config.kafka()));

        List<TextEvent> passed = new ArrayList<>();
        JobID jobId;
        try (CloseableIterator<TextEvent> results = valid.collectAsync()) {
            JobClient client = env.executeAsync(jobName);
            jobId = client.getJobID();
            results.forEachRemaining(passed::add);
            client.getJobExecutionResult().get();
        }
        return new Routed(passed, jobId);
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void badRecordsReachTheDeadLetterTopicWithTheirReasonAndBytesWhileGoodOnesPass() throws Exception {
        KAFKA.createTopics(2, "text-in");
        KAFKA.createTopics(1, "text-dlq");
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--store", "file:///unused",
                "--group-id", "dead-letter-routing", "--conditioning-size", "2", "--max-record-bytes", "512");
        List<Float> features = List.of(0.25f, -1.5f);

        List<TextEvent> good = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            good.add(event("doc-" + (i % 3), i / 3, "chunk " + i + " – Grüße 😀", features));
        }
        byte[] badUtf8 = WireFormat.value(event("doc-1", 99, "@@@@", features));
        int text = new String(badUtf8, StandardCharsets.ISO_8859_1).indexOf("@@@@");
        badUtf8[text] = (byte) 0xC3;
        badUtf8[text + 1] = (byte) 0x28;
        Map<RejectReason, ProducerRecord<byte[], byte[]>> bad = Map.of(
                RejectReason.BAD_AVRO, new ProducerRecord<>("text-in", WireFormat.key("doc-0"),
                        "{\"streamId\":\"doc-0\"}".getBytes(StandardCharsets.UTF_8)),
                RejectReason.INVALID_UTF8, new ProducerRecord<>("text-in", WireFormat.key("doc-1"), badUtf8),
                RejectReason.TOO_LARGE, new ProducerRecord<>("text-in", WireFormat.key("doc-2"),
                        WireFormat.value(event("doc-2", 98, "x".repeat(600), features))),
                RejectReason.MISSING_STREAM_ID, new ProducerRecord<>("text-in", null,
                        WireFormat.value(event("doc-0", 97, "no key", features))),
                RejectReason.KEY_MISMATCH, new ProducerRecord<>("text-in", WireFormat.key("doc-2"),
                        WireFormat.value(event("doc-1", 96, "wrong key", features))),
                RejectReason.BAD_FEATURES, new ProducerRecord<>("text-in", WireFormat.key("doc-0"),
                        WireFormat.value(event("doc-0", 95, "bad features", List.of(1f, Float.NaN)))));

        Map<RejectReason, Sent> sentBad = new HashMap<>();
        int next = 0;
        for (var entry : bad.entrySet()) {
            for (int i = 0; i < 2; i++, next++) {
                TextEvent e = good.get(next);
                KAFKA.produce("text-in", WireFormat.key(e.getStreamId()), WireFormat.value(e));
            }
            ProducerRecord<byte[], byte[]> record = entry.getValue();
            sentBad.put(entry.getKey(), new Sent(record.key(), record.value(), KAFKA.produce(record)));
        }

        Routed routed = route(config, 2, "dead-letter routing");

        assertThat(routed.passed()).containsExactlyInAnyOrderElementsOf(good);

        List<ConsumerRecord<byte[], byte[]>> dlq = KAFKA.consume("text-dlq", bad.size(), Duration.ofSeconds(30));
        assertThat(dlq).hasSize(bad.size());
        assertThat(KAFKA.endOffsets("text-dlq").values().stream().mapToLong(Long::longValue).sum())
                .isEqualTo(bad.size());
        Map<String, DeadLetter> byCode = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : dlq) {
            DeadLetter dead = DeadLetter.getDecoder().decode(record.value());
            assertThat(byCode.put(dead.getReasonCode(), dead)).as("one dead letter per kind").isNull();
            assertThat(record.key()).isEqualTo(dead.getKey() == null ? null : WireFormat.bytes(dead.getKey()));
        }
        assertThat(byCode.keySet()).containsExactlyInAnyOrderElementsOf(
                bad.keySet().stream().map(Enum::name).toList());
        sentBad.forEach((reason, sent) -> {
            DeadLetter dead = byCode.get(reason.name());
            assertThat(dead.getReason()).isNotBlank();
            assertThat(WireFormat.bytes(dead.getValue())).as("value of %s", reason).isEqualTo(sent.value());
            assertThat(dead.getKey() == null ? null : WireFormat.bytes(dead.getKey())).isEqualTo(sent.key());
            assertThat(dead.getTopic()).isEqualTo("text-in");
            assertThat(dead.getPartition()).isEqualTo(sent.where().partition());
            assertThat(dead.getOffset()).isEqualTo(sent.where().offset());
        });

        long counted = METRICS.findMetrics(routed.jobId(), DeadLetterRouter.DEAD_LETTER_METRIC).values().stream()
                .mapToLong(metric -> ((Counter) metric).getCount()).sum();
        assertThat(counted).isEqualTo(bad.size());
    }

    /**
     * Records close to the broker's {@code message.max.bytes} (1 MB + 12 by default): each becomes a dead letter
     * that still fits the dead-letter producer's {@code max.request.size}, keeping a prefix of the raw bytes, and
     * the job goes on. Whole, such a dead letter (the value, the key twice and the envelope) would be larger than
     * Kafka takes: the sink would fail, and a restarted job would read the same record and fail again, forever.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aRecordNearTheBrokersSizeLimitBecomesADeadLetterThatFitsAndTheJobGoesOn() throws Exception {
        KAFKA.createTopics(1, "big-in", "big-dlq");
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--store", "file:///unused",
                "--input-topic", "big-in", "--dead-letter-topic", "big-dlq", "--group-id", "big-records",
                "--max-record-bytes", "1044000");
        int maxRequestSize = 1_048_576; // the producers' default max.request.size; the broker takes 1_048_588
        byte[] key = new byte[4_000];
        Arrays.fill(key, (byte) 'k');
        byte[] tooLarge = WireFormat.value(event("doc-0", 50, "x".repeat(1_044_270), null));
        byte[] garbage = new byte[1_043_000];
        new Random(7).nextBytes(garbage);
        garbage[0] = 'g'; // not the single-object marker
        assertThat(tooLarge.length).isGreaterThan(1_044_000);
        List<ProducerRecord<byte[], byte[]>> bad = List.of(
                new ProducerRecord<>("big-in", key, tooLarge), new ProducerRecord<>("big-in", key, garbage));
        List<TextEvent> good = new ArrayList<>();
        List<Sent> sentBad = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            TextEvent e = event("doc-" + i, i, "small chunk " + i, null);
            good.add(e);
            KAFKA.produce("big-in", WireFormat.key(e.getStreamId()), WireFormat.value(e));
            if (i < bad.size()) {
                ProducerRecord<byte[], byte[]> record = bad.get(i);
                sentBad.add(new Sent(record.key(), record.value(), KAFKA.produce(record)));
            }
        }

        Routed routed = route(config, 1, "big records");

        assertThat(routed.passed()).containsExactlyElementsOf(good);
        List<ConsumerRecord<byte[], byte[]>> dlq = KAFKA.consume("big-dlq", bad.size(), Duration.ofSeconds(30));
        assertThat(dlq).hasSize(bad.size());
        for (int i = 0; i < bad.size(); i++) {
            ConsumerRecord<byte[], byte[]> record = dlq.get(i);
            Sent sent = sentBad.get(i);
            DeadLetter dead = DeadLetter.getDecoder().decode(record.value());
            assertThat(dead.getOffset()).isEqualTo(sent.where().offset());
            assertThat(dead.getReasonCode()).isEqualTo(i == 0 ? "TOO_LARGE" : "BAD_AVRO");
            assertThat(record.serializedKeySize() + record.serializedValueSize())
                    .as("key and value of the dead-letter record").isLessThan(maxRequestSize - 100);
            assertThat(dead.getTruncated()).isTrue();
            assertThat(dead.getOriginalKeySize()).isEqualTo(sent.key().length);
            assertThat(dead.getOriginalValueSize()).isEqualTo(sent.value().length);
            byte[] value = WireFormat.bytes(dead.getValue());
            assertThat(value.length).isBetween(sent.value().length - 20_000, sent.value().length - 1);
            assertThat(value).isEqualTo(Arrays.copyOf(sent.value(), value.length));
            byte[] keptKey = WireFormat.bytes(dead.getKey());
            assertThat(keptKey).isEqualTo(Arrays.copyOf(sent.key(), keptKey.length)).isEqualTo(record.key());
        }
    }
}
