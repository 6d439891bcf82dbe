package dev.streaminglstm.schema;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The bytes of every record on the project's Kafka topics.
 *
 * <ul>
 *   <li>Value: the Avro <em>single-object encoding</em> of the generated specific record
 *       ({@code TextEvent.toByteBuffer()}, read back with {@code TextEvent.getDecoder()}): the two marker bytes
 *       {@code C3 01}, the 8-byte little-endian CRC-64-AVRO fingerprint of the record's schema, then the Avro
 *       binary encoding of the record. Input, prediction and dead-letter topics all use it.</li>
 *   <li>Key: the stream id as UTF-8 bytes (input and prediction topics); a dead letter keeps the key of the
 *       record it rejects, byte for byte.</li>
 * </ul>
 *
 * <p>The values can also be framed the Confluent Schema Registry way: see {@code dev.streaminglstm.schema.wire}.
 */
public final class WireFormat {

    private WireFormat() {}

    /** The key of a record that belongs to {@code streamId}. */
    public static byte[] key(String streamId) {
        return streamId.getBytes(StandardCharsets.UTF_8);
    }

    /** The value bytes of a text event. */
    public static byte[] value(TextEvent event) {
        try {
            return bytes(event.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode TextEvent " + event.getStreamId(), e);
        }
    }

    /** The value bytes of a prediction. */
    public static byte[] value(Prediction prediction) {
        try {
            return bytes(prediction.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode Prediction " + prediction.getStreamId(), e);
        }
    }

    /** The value bytes of a dead letter. */
    public static byte[] value(DeadLetter deadLetter) {
        try {
            return bytes(deadLetter.toByteBuffer());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode DeadLetter of " + deadLetter.getTopic(), e);
        }
    }

    /** The remaining bytes of {@code buffer}, copied; the buffer's position is left alone. */
    public static byte[] bytes(ByteBuffer buffer) {
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
