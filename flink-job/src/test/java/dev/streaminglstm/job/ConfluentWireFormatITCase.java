package dev.streaminglstm.job;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.RejectReason;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.registry.SchemaRegistryServer;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.SchemaRegistryClient;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueEncoder;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job with {@code --wire-format CONFLUENT} against a real schema registry: text framed with the id
 * registered under {@code text-in-value} is predicted, every prediction carries the id the job registered under
 * {@code predictions-value} and decodes through the registry, and each bad record (garbage, a single-object value,
 * an unknown schema id, a registered schema that is not a TextEvent, invalid UTF-8) is a dead letter with its
 * reason, itself registered under {@code text-dlq-value}.
 */
class ConfluentWireFormatITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    private static final int CHUNKS_PER_STREAM = 12;
    private static final List<String> STREAMS = List.of("north", "south");
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_750_000_000_000L);
    /** Far above every good chunk's sequence number, so that one let through would silence its stream. */
    private static final long BAD_SEQUENCE = 1_000_000;

    private static SchemaRegistryServer registry;

    @TempDir
    Path storeDir;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = SchemaRegistryServer.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void predictsRegisteredTextAndDeadLettersEveryBadRecordWithItsReason() throws Exception {
        KAFKA.createTopics(2, "text-in", "predictions");
        KAFKA.createTopics(1, "text-dlq");
        ValueFormat format = ValueFormat.confluent(registry.confluentUrl());
        SchemaRegistryClient client = new SchemaRegistryClient(registry.confluentUrl());
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(),
                "--store", storeDir.toUri().toString(), "--group-id", "confluent-it",
                "--wire-format", "CONFLUENT", "--schema-registry-url", registry.confluentUrl(),
                "--embed", "8", "--hidden", "16", "--window", "16", "--batch", "2",
                "--checkpoint-interval-ms", "1000", "--continuation-length", "4");
        ValueEncoder<TextEvent> events = format.encoder(TextEvent.class, "text-in");
        Map<RejectReason, List<ProducerRecord<byte[], byte[]>>> bad = badRecords(events, format);

        StreamExecutionEnvironment env = MiniClusters.environment(1);
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        JobClient job = env.executeAsync("streaming-lstm confluent");
        List<Prediction> predictions = new ArrayList<>();
        ValueDecoder<Prediction> decoder = ValueDecoder.confluent(Prediction.class, client);
        int predictionsId = -1;
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer();
                KafkaConsumer<byte[], byte[]> reader = KAFKA.committedReader("predictions")) {
            bad.values().forEach(records -> records.forEach(producer::send));
            for (int sequence = 1; sequence <= CHUNKS_PER_STREAM; sequence++) {
                for (String stream : STREAMS) {
                    producer.send(record(stream, events.encode(event(stream, sequence, "Chunk " + sequence + ". "))));
                }
            }
            producer.flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (predictions.size() < CHUNKS_PER_STREAM * STREAMS.size() && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    predictionsId = ByteBuffer.wrap(record.value(), 1, 4).getInt();
                    Prediction p = decoder.decode(record.value());
                    assertThat(record.key()).isEqualTo(WireFormat.key(p.getStreamId()));
                    predictions.add(p);
                }
                if (job.getJobStatus().get().isGloballyTerminalState()) {
                    job.getJobExecutionResult().get(); // throws the job's failure
                    throw new AssertionError("the job ended on its own");
                }
            }
        } finally {
            if (!job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get(1, TimeUnit.MINUTES);
            }
        }

        for (String stream : STREAMS) {
            assertThat(predictions.stream().filter(p -> p.getStreamId().equals(stream))
                    .map(Prediction::getSequenceNumber).toList()).as("predictions of %s", stream)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, CHUNKS_PER_STREAM)
                            .boxed().toList());
        }
        assertThat(predictionsId).as("the id the job registered under predictions-value")
                .isEqualTo(client.register("predictions-value", Prediction.getClassSchema()));

        int badCount = bad.values().stream().mapToInt(List::size).sum();
        ValueDecoder<DeadLetter> deadLetters = ValueDecoder.confluent(DeadLetter.class, client);
        Map<RejectReason, Integer> reasons = new EnumMap<>(RejectReason.class);
        for (ConsumerRecord<byte[], byte[]> record : KAFKA.consume("text-dlq", badCount, Duration.ofSeconds(30))) {
            DeadLetter dead = deadLetters.decode(record.value());
            assertThat(dead.getReason()).isNotBlank();
            reasons.merge(RejectReason.valueOf(dead.getReasonCode()), 1, Integer::sum);
        }
        Map<RejectReason, Integer> expected = new EnumMap<>(RejectReason.class);
        bad.forEach((reason, records) -> expected.put(reason, records.size()));
        assertThat(reasons).isEqualTo(expected);
    }

    /** Records the job must reject, by the reason it must give. */
    private static Map<RejectReason, List<ProducerRecord<byte[], byte[]>>> badRecords(ValueEncoder<TextEvent> events,
            ValueFormat format) throws Exception {
        byte[] unknownId = events.encode(event("north", BAD_SEQUENCE + 1, "unknown id"));
        unknownId[2] ^= 0x5A; // an id no schema has
        byte[] deadLetter = format.encoder(DeadLetter.class, "elsewhere").encode(DeadLetter.newBuilder()
                .setTopic("t").setPartition(0).setOffset(0).setReason("r").build());
        byte[] badUtf8 = events.encode(event("south", BAD_SEQUENCE + 2, "@@@@"));
        int text = new String(badUtf8, StandardCharsets.ISO_8859_1).indexOf("@@@@");
        badUtf8[text] = (byte) 0xC3;
        badUtf8[text + 1] = (byte) 0x28;
        Map<RejectReason, List<ProducerRecord<byte[], byte[]>>> bad = new EnumMap<>(RejectReason.class);
        bad.put(RejectReason.BAD_AVRO, List.of(
                record("north", "not avro at all".getBytes(StandardCharsets.UTF_8)),
                record("south", WireFormat.value(event("south", BAD_SEQUENCE + 3, "single-object framing")))));
        bad.put(RejectReason.UNKNOWN_SCHEMA, List.of(record("north", unknownId), record("south", deadLetter)));
        bad.put(RejectReason.INVALID_UTF8, List.of(record("south", badUtf8)));
        bad.put(RejectReason.KEY_MISMATCH, List.of(record("north",
                events.encode(event("south", BAD_SEQUENCE + 4, "wrong key")))));
        return bad;
    }

    private static ProducerRecord<byte[], byte[]> record(String key, byte[] value) {
        return new ProducerRecord<>("text-in", WireFormat.key(key), value);
    }

    private static TextEvent event(String streamId, long sequenceNumber, String text) {
        return TextEvent.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setText(text)
                .setEventTime(EVENT_TIME).setStartsDocument(sequenceNumber == 1).build();
    }
}
