package dev.streaminglstm.job.output;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.input.RejectReason;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TokenProbability;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

class SinkSerializersTest {

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

        ProducerRecord<byte[], byte[]> record = new PredictionSerializer("predictions").serialize(prediction, null, 1_000L);

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
