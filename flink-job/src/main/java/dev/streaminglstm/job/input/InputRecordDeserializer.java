package dev.streaminglstm.job.input;

import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.job.output.DeadLetterBudget;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns each record of the input topic into an {@link InputRecord}: a {@link TextEvent} when the record passes
 * every check, otherwise a {@link DeadLetter} keeping the raw key and value (only their first bytes if the whole
 * would not fit the dead-letter topic, see {@link DeadLetterBudget}), where the record came from and the
 * {@link RejectReason}. It never throws for bad input, so one bad record cannot stop the job; it throws when the
 * schema registry cannot be asked (no fault of the record), so the task fails and restarts from its checkpoint.
 *
 * <p>Checks, in order: a value is present, not a tombstone ({@code BAD_AVRO}); the value's size
 * ({@code TOO_LARGE}); the value is a {@code TextEvent} in the {@link ValueFormat} ({@code BAD_AVRO}) of a known or
 * registered schema version ({@code UNKNOWN_SCHEMA}) whose strings are valid UTF-8 ({@code INVALID_UTF8}); the stream id is not
 * blank and the key is present ({@code MISSING_STREAM_ID}); the key is the stream id in UTF-8
 * ({@code KEY_MISMATCH}); the features have exactly the conditioning size, are absent when that size is 0, and are
 * all finite ({@code BAD_FEATURES}). The wire format is described in {@code dev.streaminglstm.schema.WireFormat}.
 */
public final class InputRecordDeserializer implements KafkaRecordDeserializationSchema<InputRecord> {

    private static final long serialVersionUID = 1L;

    /** Characters of a key or stream id that a reason quotes. */
    static final int QUOTED_CHARS = 100;

    private final int maxRecordBytes;
    private final int conditioningSize;
    private final DeadLetterBudget deadLetterBudget;
    private final ValueFormat format;
    private transient StrictTextEventDecoder decoder;

    /** A single-object deserializer whose dead letters fit Kafka's default producer; see the full constructor. */
    public InputRecordDeserializer(int maxRecordBytes, int conditioningSize) {
        this(maxRecordBytes, conditioningSize, DeadLetterBudget.kafkaDefault(), ValueFormat.singleObject());
    }

    /**
     * @param maxRecordBytes   values larger than this are rejected as {@code TOO_LARGE}
     * @param conditioningSize length every feature vector must have; 0: events must carry none
     * @param deadLetterBudget the size every dead letter is cut to fit
     * @param format           the wire format of the values
     */
    public InputRecordDeserializer(int maxRecordBytes, int conditioningSize, DeadLetterBudget deadLetterBudget,
            ValueFormat format) {
        if (maxRecordBytes < 1 || conditioningSize < 0) {
            throw new IllegalArgumentException("maxRecordBytes must be positive and conditioningSize not negative, were "
                    + maxRecordBytes + " and " + conditioningSize);
        }
        this.maxRecordBytes = maxRecordBytes;
        this.conditioningSize = conditioningSize;
        this.deadLetterBudget = Objects.requireNonNull(deadLetterBudget, "deadLetterBudget");
        this.format = Objects.requireNonNull(format, "format");
    }

    /** The deserializer the job's configuration asks for. */
    public static InputRecordDeserializer from(KafkaSettings kafka, int conditioningSize) {
        return new InputRecordDeserializer(kafka.maxRecordBytes(), conditioningSize, DeadLetterBudget.of(kafka),
                kafka.valueFormat());
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<InputRecord> out) throws IOException {
        out.collect(classify(record));
    }

    /**
     * The event {@code record} holds, or the dead letter that says why it holds none.
     *
     * @throws IOException when the schema registry cannot be asked for the record's writer schema
     */
    public InputRecord classify(ConsumerRecord<byte[], byte[]> record) throws IOException {
        try {
            return InputRecord.valid(check(record));
        } catch (Rejection rejection) {
            return InputRecord.rejected(deadLetter(record, rejection));
        } catch (SchemaRegistryException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    @Override
    public TypeInformation<InputRecord> getProducedType() {
        return TypeInformation.of(InputRecord.class);
    }

    private TextEvent check(ConsumerRecord<byte[], byte[]> record) throws Rejection, SchemaRegistryException {
        byte[] value = record.value();
        if (value == null) {
            throw new Rejection(RejectReason.BAD_AVRO, "record has no value (a tombstone)");
        }
        if (value.length > maxRecordBytes) {
            throw new Rejection(RejectReason.TOO_LARGE,
                    "value has " + value.length + " bytes, more than the maximum of " + maxRecordBytes);
        }
        if (decoder == null) {
            decoder = StrictTextEventDecoder.of(format);
        }
        TextEvent event = decoder.decode(value);
        if (event.getStreamId().isBlank()) {
            throw new Rejection(RejectReason.MISSING_STREAM_ID, "streamId is empty or blank");
        }
        if (record.key() == null || record.key().length == 0) {
            throw new Rejection(RejectReason.MISSING_STREAM_ID, "record has no key; it must be the streamId");
        }
        if (!Arrays.equals(record.key(), event.getStreamId().getBytes(StandardCharsets.UTF_8))) {
            throw new Rejection(RejectReason.KEY_MISMATCH, "key "
                    + quote(new String(record.key(), StandardCharsets.UTF_8))
                    + " is not the streamId " + quote(event.getStreamId()));
        }
        checkFeatures(event.getFeatures());
        return event;
    }

    private void checkFeatures(List<Float> features) throws Rejection {
        if (conditioningSize == 0) {
            if (features != null) {
                throw new Rejection(RejectReason.BAD_FEATURES,
                        "record has " + features.size() + " features but the model takes none");
            }
            return;
        }
        int size = features == null ? 0 : features.size();
        if (size != conditioningSize) {
            throw new Rejection(RejectReason.BAD_FEATURES,
                    "record has " + size + " features but the conditioning size is " + conditioningSize);
        }
        for (int i = 0; i < size; i++) {
            if (!Float.isFinite(features.get(i))) {
                throw new Rejection(RejectReason.BAD_FEATURES, "feature " + i + " is " + features.get(i));
            }
        }
    }

    /** {@code text} in single quotes, its first {@value #QUOTED_CHARS} characters only if it is longer. */
    static String quote(String text) {
        if (text.length() <= QUOTED_CHARS) {
            return "'" + text + "'";
        }
        int end = Character.isHighSurrogate(text.charAt(QUOTED_CHARS - 1)) ? QUOTED_CHARS - 1 : QUOTED_CHARS;
        return "'" + text.substring(0, end) + "…' (" + text.codePointCount(0, text.length()) + " characters)";
    }

    private DeadLetter deadLetter(ConsumerRecord<byte[], byte[]> record, Rejection rejection) {
        byte[] key = record.key();
        byte[] value = record.value();
        return deadLetterBudget.fit(DeadLetter.newBuilder()
                .setTopic(record.topic())
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setRecordTimestamp(record.timestamp())
                .setKey(key == null ? null : ByteBuffer.wrap(key))
                .setValue(value == null ? null : ByteBuffer.wrap(value))
                .setReason(rejection.getMessage())
                .setReasonCode(rejection.reason().name())
                .setRejectedAt(Instant.now())
                .setOriginalKeySize(key == null ? null : key.length)
                .setOriginalValueSize(value == null ? null : value.length)
                .build());
    }
}
