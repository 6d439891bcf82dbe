package dev.streaminglstm.job.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.job.input.RejectReason;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.registry.SchemaRegistryServer;
import dev.streaminglstm.schema.wire.SchemaRegistryClient;
import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SinkSerializersTest {

    /** The registry of the CONFLUENT cases. */
    private static SchemaRegistryServer registry;

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = SchemaRegistryServer.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    private static Prediction prediction() {
        return Prediction.newBuilder().setStreamId("doc-1").setSequenceNumber(3).setBytePosition(99)
                .setStatus(PredictionStatus.NO_MODEL).setEventTime(Instant.ofEpochMilli(1_000)).build();
    }

    private static DeadLetter deadLetter() {
        return DeadLetter.newBuilder().setTopic("text-in").setPartition(0).setOffset(4)
                .setKey(ByteBuffer.wrap(new byte[] {'k'})).setValue(ByteBuffer.wrap(new byte[] {'g', 'a'}))
                .setReason("garbage").setReasonCode(RejectReason.BAD_AVRO.name())
                .setRejectedAt(Instant.ofEpochMilli(5)).build();
    }

    @Test
    void confluentPredictionsCarryTheIdRegisteredUnderTheirTopicAndDecodeThroughTheRegistry() throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(registry.confluentUrl());
        PredictionSerializer serializer = new PredictionSerializer("preds-c", ValueFormat.confluent(client.url()));
        serializer.open(null, null);

        byte[] value = serializer.serialize(prediction(), null, 1L).value();

        assertThat(value[0]).isZero();
        assertThat(ByteBuffer.wrap(value, 1, 4).getInt())
                .isEqualTo(client.register("preds-c-value", Prediction.getClassSchema()));
        assertThat(ValueDecoder.confluent(Prediction.class, client).decode(value)).isEqualTo(prediction());
    }

    @Test
    void confluentDeadLettersCarryTheIdRegisteredUnderTheirTopicAndDecodeThroughTheRegistry() throws Exception {
        SchemaRegistryClient client = new SchemaRegistryClient(registry.confluentUrl());
        DeadLetterSerializer serializer = new DeadLetterSerializer("dlq-c", DeadLetterBudget.kafkaDefault(),
                ValueFormat.confluent(client.url()));
        serializer.open(null, null);

        ProducerRecord<byte[], byte[]> record = serializer.serialize(deadLetter(), null, 1L);

        assertThat(record.key()).isEqualTo(new byte[] {'k'});
        assertThat(ByteBuffer.wrap(record.value(), 1, 4).getInt())
                .isEqualTo(client.register("dlq-c-value", DeadLetter.getClassSchema()));
        assertThat(ValueDecoder.confluent(DeadLetter.class, client).decode(record.value())).isEqualTo(deadLetter());
    }

    @Test
    void aRegistryThatCannotBeAskedFailsTheOpen() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        PredictionSerializer serializer = new PredictionSerializer("preds-c",
                ValueFormat.confluent("http://127.0.0.1:" + closedPort));

        assertThatThrownBy(() -> serializer.open(null, null)).isInstanceOf(SchemaRegistryException.class);
    }

    @Test
    void aPredictionIsKeyedByItsStreamAndReadsBackWithTheGeneratedDecoder() throws Exception {
        Prediction prediction = Prediction.newBuilder()
                .setStreamId("straße-7")
                .setSequenceNumber(12)
                .setBytePosition(4096)
                .setStatus(PredictionStatus.OK)
                .setModelVersion(3L)
                .setTopK(List.of(new TokenProbability(101, "e", 0.5f), new TokenProbability(32, "␠", 0.25f)))
                .setContinuation("ine Straße")
                .setSurpriseBits(1.25)
                .setEventTime(Instant.ofEpochMilli(1_000))
                .setEmittedAt(Instant.ofEpochMilli(2_000))
                .build();

        ProducerRecord<byte[], byte[]> record = new PredictionSerializer("predictions")
                .serialize(prediction, null, 1_000L);

        assertThat(record.topic()).isEqualTo("predictions");
        assertThat(record.key()).isEqualTo("straße-7".getBytes(StandardCharsets.UTF_8));
        assertThat(record.timestamp()).isEqualTo(1_000L);
        assertThat(Prediction.getDecoder().decode(record.value())).isEqualTo(prediction);
    }

    @Test
    void aDeadLetterKeepsTheRejectedRecordsKeyOrHasNone() throws Exception {
        DeadLetter withKey = DeadLetter.newBuilder().setTopic("text-in").setPartition(1).setOffset(9)
                .setKey(ByteBuffer.wrap(new byte[] {(byte) 0xFF, 1})).setValue(ByteBuffer.wrap(new byte[] {2}))
                .setReason("key mismatch").setReasonCode(RejectReason.KEY_MISMATCH.name())
                .setRejectedAt(Instant.ofEpochMilli(5)).build();
        DeadLetter withoutKey = DeadLetter.newBuilder(withKey).setKey(null).build();
        DeadLetterSerializer serializer = new DeadLetterSerializer("text-dlq");

        ProducerRecord<byte[], byte[]> keyed = serializer.serialize(withKey, null, null);
        ProducerRecord<byte[], byte[]> unkeyed = serializer.serialize(withoutKey, null, null);

        assertThat(keyed.topic()).isEqualTo("text-dlq");
        assertThat(keyed.key()).containsExactly(0xFF, 1);
        assertThat(DeadLetter.getDecoder().decode(keyed.value())).isEqualTo(withKey);
        assertThat(unkeyed.key()).isNull();
        assertThat(unkeyed.value()).isEqualTo(WireFormat.value(withoutKey));
    }

    @Test
    void aDeadLetterTooLargeForItsTopicIsCutToFitBeforeItIsWritten() throws Exception {
        byte[] key = new byte[3_000];
        byte[] value = new byte[2_000_000];
        Arrays.fill(key, (byte) 'k');
        Arrays.fill(value, (byte) 'v');
        DeadLetter whole = DeadLetter.newBuilder().setTopic("text-in").setPartition(0).setOffset(1)
                .setKey(ByteBuffer.wrap(key)).setValue(ByteBuffer.wrap(value)).setReason("value has 2000000 bytes")
                .setReasonCode(RejectReason.TOO_LARGE.name()).setRejectedAt(Instant.ofEpochMilli(5)).build();

        ProducerRecord<byte[], byte[]> record = new DeadLetterSerializer("text-dlq").serialize(whole, null, null);

        assertThat(DeadLetterBudget.KAFKA_RECORD_OVERHEAD + record.key().length + record.value().length)
                .isLessThanOrEqualTo(DeadLetterBudget.KAFKA_DEFAULT_MAX_REQUEST_SIZE);
        DeadLetter written = DeadLetter.getDecoder().decode(record.value());
        assertThat(written.getTruncated()).isTrue();
        assertThat(written.getOriginalKeySize()).isEqualTo(3_000);
        assertThat(written.getOriginalValueSize()).isEqualTo(2_000_000);
        assertThat(record.key()).isEqualTo(key);
        assertThat(written.getValue().remaining()).isGreaterThan(1_000_000);
        assertThat(written.getReason()).isEqualTo(whole.getReason());
    }
}
