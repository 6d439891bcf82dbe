package dev.streaminglstm.job.output;

import dev.streaminglstm.job.config.ConfigException;
import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.WireFormat;
import java.io.Serializable;
import java.nio.ByteBuffer;
import org.apache.kafka.clients.producer.ProducerConfig;

/**
 * The most bytes one record on the dead-letter topic may take, and how a {@link DeadLetter} is cut to fit them.
 *
 * <p>A dead letter holds the rejected record's raw key and value, and its Kafka record repeats the key, so a record
 * near Kafka's size limit makes a dead letter above it. The producer would refuse it, the sink would fail, and the
 * restarted job would read the same record again, forever. {@link #fit} therefore keeps only the first bytes of the
 * key and value when the whole would not fit, sets {@code truncated} and keeps the original sizes.
 *
 * <p>The limit is the producers' {@code max.request.size} (a {@code --kafka-property}, Kafka's default 1 MiB; the
 * broker's default {@code message.max.bytes} is 12 bytes more). If the dead-letter topic's
 * {@code max.message.bytes} is lower, lower {@code max.request.size} to it.
 */
public final class DeadLetterBudget implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Kafka's default {@code max.request.size}. */
    public static final int KAFKA_DEFAULT_MAX_REQUEST_SIZE = 1 << 20;

    /** The smallest limit: room for the envelope (topic, reason, ...) and a useful part of the record. */
    public static final int MIN_RECORD_BYTES = 16 << 10;

    /**
     * Bytes that Kafka adds around the key and value of one record in a batch of its own: the batch header
     * (61 bytes), the record's header (at most 21) and the lengths of key, value and headers (at most 5 each).
     */
    public static final int KAFKA_RECORD_OVERHEAD = 128;

    /** Characters of {@code reason} a cut dead letter keeps. */
    static final int MAX_REASON_CHARS = 1_000;

    /** Bytes an Avro length takes at most, beyond the one byte of a zero length. */
    private static final int LENGTH_GROWTH = 4;

    private final int maxRecordBytes;

    /**
     * @param maxRecordBytes the most bytes of one dead-letter record, Kafka's framing included
     * @throws IllegalArgumentException if below {@link #MIN_RECORD_BYTES}
     */
    public DeadLetterBudget(int maxRecordBytes) {
        if (maxRecordBytes < MIN_RECORD_BYTES) {
            throw new IllegalArgumentException("a dead-letter record needs at least " + MIN_RECORD_BYTES
                    + " bytes, the limit was " + maxRecordBytes);
        }
        this.maxRecordBytes = maxRecordBytes;
    }

    /** The budget of Kafka's default producer. */
    public static DeadLetterBudget kafkaDefault() {
        return new DeadLetterBudget(KAFKA_DEFAULT_MAX_REQUEST_SIZE);
    }

    /**
     * The budget of the job's dead-letter producer: its {@code max.request.size}.
     *
     * @throws ConfigException if that property is not a whole number of at least {@link #MIN_RECORD_BYTES}
     */
    public static DeadLetterBudget of(KafkaSettings kafka) {
        String property = ProducerConfig.MAX_REQUEST_SIZE_CONFIG;
        String value = kafka.clientProperties().get(property);
        if (value == null) {
            return kafkaDefault();
        }
        try {
            int bytes = Integer.parseInt(value.trim());
            if (bytes >= MIN_RECORD_BYTES) {
                return new DeadLetterBudget(bytes);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException("--kafka-property: " + property + "='" + value + "' must be a whole number of bytes"
                + " of at least " + MIN_RECORD_BYTES + ", to leave room for dead letters");
    }

    /** The most bytes of one dead-letter record, Kafka's framing included. */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /**
     * The bytes that {@code deadLetter} takes as a Kafka record, as the producer counts them against
     * {@code max.request.size} (an upper bound): the key, the encoded dead letter and Kafka's framing.
     */
    public static long recordBytes(DeadLetter deadLetter) {
        int key = size(deadLetter.getKey());
        int value = size(deadLetter.getValue());
        return KAFKA_RECORD_OVERHEAD + key + envelopeBytes(deadLetter) + grownBytes(deadLetter.getKey(), key)
                + grownBytes(deadLetter.getValue(), value);
    }

    /**
     * {@code deadLetter} itself if its record fits this budget, otherwise a copy that keeps only the first bytes of
     * its key and value (the key is stored twice: in the dead letter and as the record's key, so it gets a quarter of
     * the room at most, unless the value leaves it more) and at most {@value #MAX_REASON_CHARS} characters of its
     * reason, with {@code truncated} set and the original sizes recorded.
     */
    public DeadLetter fit(DeadLetter deadLetter) {
        if (recordBytes(deadLetter) <= maxRecordBytes) {
            return deadLetter;
        }
        ByteBuffer key = deadLetter.getKey();
        ByteBuffer value = deadLetter.getValue();
        int keySize = size(key);
        int valueSize = size(value);
        DeadLetter cut = withBytes(deadLetter, key == null ? null : ByteBuffer.allocate(0),
                value == null ? null : ByteBuffer.allocate(0));
        if (cut.getOriginalKeySize() == null && key != null) {
            cut.setOriginalKeySize(keySize);
        }
        if (cut.getOriginalValueSize() == null && value != null) {
            cut.setOriginalValueSize(valueSize);
        }
        if (cut.getReason().length() > MAX_REASON_CHARS) {
            cut.setReason(cut.getReason().substring(0, MAX_REASON_CHARS - 1) + "…");
        }
        cut.setTruncated(true);
        long room = maxRecordBytes - KAFKA_RECORD_OVERHEAD - envelopeBytes(cut) - 2L * LENGTH_GROWTH;
        long keyKept = Math.min(keySize, Math.max(0, room / 4));
        long valueKept = Math.min(valueSize, Math.max(0, room - 2 * keyKept));
        if (valueKept == valueSize) {
            keyKept = Math.min(keySize, Math.max(0, (room - valueSize) / 2));
        }
        cut.setKey(prefix(key, (int) keyKept));
        cut.setValue(prefix(value, (int) valueKept));
        return cut;
    }

    /** The encoded size of {@code deadLetter} with its key and value counted as empty. */
    private static int envelopeBytes(DeadLetter deadLetter) {
        DeadLetter envelope = withBytes(deadLetter, deadLetter.getKey() == null ? null : ByteBuffer.allocate(0),
                deadLetter.getValue() == null ? null : ByteBuffer.allocate(0));
        return WireFormat.value(envelope).length;
    }

    /** A shallow copy of {@code deadLetter} with other key and value bytes: no field is left out, none is copied. */
    private static DeadLetter withBytes(DeadLetter deadLetter, ByteBuffer key, ByteBuffer value) {
        DeadLetter copy = new DeadLetter();
        for (int i = 0; i < DeadLetter.getClassSchema().getFields().size(); i++) {
            copy.put(i, deadLetter.get(i));
        }
        copy.setKey(key);
        copy.setValue(value);
        return copy;
    }

    /** Bytes that {@code size} bytes add to an encoding that counted them as empty: the bytes and a longer length. */
    private static long grownBytes(ByteBuffer bytes, int size) {
        return bytes == null ? 0 : size + varLongBytes(size) - 1;
    }

    private static int varLongBytes(long n) {
        long zigZag = (n << 1) ^ (n >> 63);
        int bytes = 1;
        while ((zigZag >>>= 7) != 0) {
            bytes++;
        }
        return bytes;
    }

    private static int size(ByteBuffer bytes) {
        return bytes == null ? 0 : bytes.remaining();
    }

    private static ByteBuffer prefix(ByteBuffer bytes, int length) {
        if (bytes == null) {
            return null;
        }
        ByteBuffer prefix = bytes.duplicate();
        prefix.limit(prefix.position() + length);
        return ByteBuffer.wrap(WireFormat.bytes(prefix));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeadLetterBudget other && maxRecordBytes == other.maxRecordBytes;
    }

    @Override
    public int hashCode() {
        return Integer.hashCode(maxRecordBytes);
    }

    @Override
    public String toString() {
        return "DeadLetterBudget[" + maxRecordBytes + " bytes]";
    }
}
