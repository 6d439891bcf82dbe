package dev.streaminglstm.job.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.RejectReason;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.WireFormat;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DeadLetterBudgetTest {

    private static final int MAX = 20_000;
    private final DeadLetterBudget budget = new DeadLetterBudget(MAX);

    private static byte[] bytes(int size, int seed) {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) {
            bytes[i] = (byte) (seed + 31 * i);
        }
        return bytes;
    }

    private static DeadLetter letter(byte[] key, byte[] value, String reason) {
        return DeadLetter.newBuilder().setTopic("text-in").setPartition(3).setOffset(123_456_789L)
                .setRecordTimestamp(1_700_000_000_000L)
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setReason(reason).setReasonCode(RejectReason.BAD_AVRO.name())
                .setRejectedAt(Instant.ofEpochMilli(1_700_000_001_000L))
                .setOriginalKeySize(key == null ? null : key.length)
                .setOriginalValueSize(value == null ? null : value.length)
                .build();
    }

    /** What the producer counts, by the same overhead: the key and the encoded dead letter. */
    private static long actualRecordBytes(DeadLetter letter) {
        return DeadLetterBudget.KAFKA_RECORD_OVERHEAD + (letter.getKey() == null ? 0 : letter.getKey().remaining())
                + WireFormat.value(letter).length;
    }

    @ParameterizedTest
    @CsvSource({"-1, -1", "0, 0", "5, 63", "63, 64", "64, 8191", "8192, 8192", "100, 1048575", "-1, 1048576",
            "70000, -1"})
    void recordBytesIsExactlyTheKeyAndTheEncodedDeadLetter(int keySize, int valueSize) {
        DeadLetter letter = letter(keySize < 0 ? null : bytes(keySize, 1), valueSize < 0 ? null : bytes(valueSize, 2),
                "value starts with 67 67, not the Avro single-object marker C3 01");

        assertThat(DeadLetterBudget.recordBytes(letter)).isEqualTo(actualRecordBytes(letter));
    }

    @Test
    void aDeadLetterThatFitsIsLeftAsItIs() {
        DeadLetter letter = letter(bytes(100, 1), bytes(MAX - 700, 2), "why");
        assertThat(actualRecordBytes(letter)).isLessThan(MAX);

        assertThat(budget.fit(letter)).isSameAs(letter);
    }

    @ParameterizedTest
    @CsvSource({
        // key, value: what is kept
        "10, 30000",      // the value is cut, the key kept whole
        "15000, 100",     // the key is cut (it is stored twice), the value kept whole
        "15000, 30000",   // both cut, the key to a quarter of the room at most
        "-1, 25000",      // no key
        "25000, -1"})     // no value (a tombstone with a long key)
    void aDeadLetterThatDoesNotFitKeepsTheFirstBytesThatFitAndTheOriginalSizes(int keySize, int valueSize) {
        byte[] key = keySize < 0 ? null : bytes(keySize, 1);
        byte[] value = valueSize < 0 ? null : bytes(valueSize, 2);
        DeadLetter letter = letter(key, value, "some reason");
        assertThat(actualRecordBytes(letter)).isGreaterThan(MAX);

        DeadLetter cut = budget.fit(letter);

        assertThat(actualRecordBytes(cut)).isLessThanOrEqualTo(MAX).isGreaterThan(MAX - 50);
        assertThat(cut.getTruncated()).isTrue();
        assertThat(cut.getOriginalKeySize()).isEqualTo(key == null ? null : keySize);
        assertThat(cut.getOriginalValueSize()).isEqualTo(value == null ? null : valueSize);
        assertThat(cut.getReason()).isEqualTo("some reason");
        assertThat(cut.getOffset()).isEqualTo(letter.getOffset());
        assertThat(cut.getRejectedAt()).isEqualTo(letter.getRejectedAt());
        byte[] keptKey = cut.getKey() == null ? null : WireFormat.bytes(cut.getKey());
        byte[] keptValue = cut.getValue() == null ? null : WireFormat.bytes(cut.getValue());
        if (key == null) {
            assertThat(keptKey).isNull();
        } else {
            assertThat(keptKey).isEqualTo(Arrays.copyOf(key, keptKey.length));
        }
        if (value == null) {
            assertThat(keptValue).isNull();
        } else {
            assertThat(keptValue).isEqualTo(Arrays.copyOf(value, keptValue.length));
        }
        if (keySize == 10 || keySize < 0) {
            assertThat(keptKey).isEqualTo(key);
        }
        if (valueSize == 100) {
            assertThat(keptValue).isEqualTo(value);
        }
        if (keySize == 15000 && valueSize == 30000) {
            assertThat(keptKey.length).isLessThanOrEqualTo(MAX / 4).isGreaterThan(MAX / 5);
        }
        assertThat(letter.getKey() == null ? null : WireFormat.bytes(letter.getKey())).as("the original is unchanged")
                .isEqualTo(key);
    }

    @Test
    void aLongReasonIsCutAndCuttingTwiceKeepsTheFirstOriginalSizes() {
        DeadLetter letter = letter(bytes(10, 1), bytes(30_000, 2), "r".repeat(50_000));

        DeadLetter cut = budget.fit(letter);
        DeadLetter cutAgain = new DeadLetterBudget(DeadLetterBudget.MIN_RECORD_BYTES).fit(cut);

        assertThat(cut.getReason()).hasSize(DeadLetterBudget.MAX_REASON_CHARS).endsWith("r…");
        assertThat(actualRecordBytes(cut)).isLessThanOrEqualTo(MAX);
        assertThat(actualRecordBytes(cutAgain)).isLessThanOrEqualTo(DeadLetterBudget.MIN_RECORD_BYTES);
        assertThat(cutAgain.getOriginalValueSize()).isEqualTo(30_000);
        assertThat(cutAgain.getValue().remaining()).isLessThan(cut.getValue().remaining());
    }

    @Test
    void theBudgetIsTheProducersMaxRequestSize() {
        JobConfig plain = JobConfig.parse("--bootstrap-servers", "k:9092", "--store", "file:///s");
        JobConfig smaller = JobConfig.parse("--bootstrap-servers", "k:9092", "--store", "file:///s",
                "--kafka-property", "max.request.size= 500000");

        assertThat(DeadLetterBudget.of(plain.kafka()).maxRecordBytes()).isEqualTo(1_048_576);
        assertThat(DeadLetterBudget.of(smaller.kafka()).maxRecordBytes()).isEqualTo(500_000);
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1000", "1e6", "4294967296"})
    void aMaxRequestSizeThatLeavesNoRoomIsAConfigurationError(String value) {
        JobConfig config = JobConfig.parse("--bootstrap-servers", "k:9092", "--store", "file:///s",
                "--kafka-property", "max.request.size=" + value);

        assertThatThrownBy(() -> DeadLetterBudget.of(config.kafka()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("--kafka-property: max.request.size='" + value + "' must be a whole number of bytes"
                        + " of at least 16384, to leave room for dead letters");
    }
}
