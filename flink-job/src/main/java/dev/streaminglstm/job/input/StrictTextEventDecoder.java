package dev.streaminglstm.job.input;

import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.message.BinaryMessageDecoder;

/**
 * Decodes a {@link TextEvent} from its single-object encoding (see {@code dev.streaminglstm.schema.WireFormat}) more
 * strictly than Avro does: it checks the header, finds the writer schema by its fingerprint among the known ones,
 * walks the binary body against that schema bounds-checking every length before anything is allocated, insists
 * that every string holds valid UTF-8 (Avro would silently replace bad bytes) and that no bytes follow the record,
 * and only then decodes the typed record, resolving the writer schema into the current {@code TextEvent}.
 *
 * <p>The known writer schemas are by default every version in the {@link SchemaHistory} of {@code TextEvent}. A
 * value written with any other schema is rejected as {@code UNKNOWN_SCHEMA}: a producer that writes a newer
 * {@code TextEvent} needs the job to be deployed with that schema in its history first (readers before writers).
 * Arrays in the known schemas must have items of at least one byte (see {@code Body.blockCount}).
 *
 * <p>Not thread-safe: one instance per reading thread.
 */
final class StrictTextEventDecoder {

    private static final int HEADER_BYTES = 10;
    private static final Schema READER = TextEvent.getClassSchema();
    private static final long READER_FINGERPRINT = SchemaHistory.fingerprint(READER);

    private final Map<Long, Schema> writers = new LinkedHashMap<>();
    private final BinaryMessageDecoder<TextEvent> avro = TextEvent.createDecoder(null);
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();

    /** A decoder of values written with any version of {@code TextEvent} in its schema history. */
    StrictTextEventDecoder() {
        this(SchemaHistory.writerSchemas(READER));
    }

    /**
     * A decoder of values written with one of {@code writerSchemas}.
     *
     * @throws IllegalArgumentException if the current {@code TextEvent} cannot read one of them
     */
    StrictTextEventDecoder(Collection<Schema> writerSchemas) {
        for (Schema writer : writerSchemas) {
            var compatibility = SchemaCompatibility.checkReaderWriterCompatibility(READER, writer);
            if (compatibility.getType() != SchemaCompatibilityType.COMPATIBLE) {
                throw new IllegalArgumentException(String.format(
                        "the current TextEvent cannot read writer schema %016X: %s", SchemaHistory.fingerprint(writer),
                        compatibility.getResult().getIncompatibilities().stream()
                                .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
                                .collect(Collectors.joining("; "))));
            }
            writers.put(SchemaHistory.fingerprint(writer), writer);
            avro.addSchema(writer);
        }
    }

    /** Fingerprints of the writer schemas this decoder reads, in the order they were given. */
    List<Long> knownFingerprints() {
        return List.copyOf(writers.keySet());
    }

    /**
     * The event {@code value} encodes; throws {@link Rejection} BAD_AVRO, UNKNOWN_SCHEMA or INVALID_UTF8 otherwise.
     */
    TextEvent decode(byte[] value) throws Rejection {
        Schema writer = writerOf(value);
        Body body = new Body(value, HEADER_BYTES);
        body.walk(writer, "");
        if (body.pos != value.length) {
            throw badAvro((value.length - body.pos) + " bytes follow the end of the TextEvent");
        }
        try {
            return avro.decode(value);
        } catch (Exception e) {
            throw badAvro("Avro cannot decode it: " + e);
        }
    }

    /** The writer schema that the header of {@code value} names. */
    private Schema writerOf(byte[] value) throws Rejection {
        if (value.length < HEADER_BYTES) {
            throw badAvro("value has " + value.length + " bytes, fewer than a single-object encoding header");
        }
        if (value[0] != (byte) 0xC3 || value[1] != (byte) 0x01) {
            throw badAvro(String.format("value starts with %02X %02X, not the Avro single-object marker C3 01",
                    value[0], value[1]));
        }
        long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writer = writers.get(fingerprint);
        if (writer == null) {
            throw new Rejection(RejectReason.UNKNOWN_SCHEMA, String.format(
                    "schema fingerprint %016X is none of the %d TextEvent schemas this job knows (%s; current %016X): "
                            + "if it is a newer TextEvent, deploy the job with that schema first, then its producers, "
                            + "and replay this record",
                    fingerprint, writers.size(), writers.keySet().stream().map(f -> String.format("%016X", f))
                            .collect(Collectors.joining(", ")), READER_FINGERPRINT));
        }
        return writer;
    }

    private static Rejection badAvro(String message) {
        return new Rejection(RejectReason.BAD_AVRO, "not a TextEvent: " + message);
    }

    /** A cursor over an Avro binary body that checks it against a schema without building anything. */
    private final class Body {
        private final byte[] bytes;
        private int pos;

        Body(byte[] bytes, int pos) {
            this.bytes = bytes;
            this.pos = pos;
        }

        void walk(Schema schema, String path) throws Rejection {
            switch (schema.getType()) {
                case NULL -> { }
                case BOOLEAN -> {
                    int b = bytes[take(1, path)];
                    if (b != 0 && b != 1) {
                        throw badAvro("field '" + path + "' holds boolean byte " + b);
                    }
                }
                case INT -> {
                    long v = varLong(path);
                    if (v != (int) v) {
                        throw badAvro("field '" + path + "' holds " + v + ", beyond an int");
                    }
                }
                case LONG -> varLong(path);
                case FLOAT -> take(4, path);
                case DOUBLE -> take(8, path);
                case FIXED -> take(schema.getFixedSize(), path);
                case BYTES -> take(length(path), path);
                case STRING -> checkUtf8(path, take(length(path), path));
                case ENUM -> index(schema.getEnumSymbols().size(), path);
                case UNION -> {
                    List<Schema> branches = schema.getTypes();
                    walk(branches.get(index(branches.size(), path)), path);
                }
                case RECORD -> {
                    for (Schema.Field field : schema.getFields()) {
                        walk(field.schema(), path.isEmpty() ? field.name() : path + "." + field.name());
                    }
                }
                case ARRAY -> {
                    for (long n = blockCount(path); n != 0; n = blockCount(path)) {
                        for (long i = 0; i < n; i++) {
                            walk(schema.getElementType(), path + "[]");
                        }
                    }
                }
                case MAP -> {
                    for (long n = blockCount(path); n != 0; n = blockCount(path)) {
                        for (long i = 0; i < n; i++) {
                            checkUtf8(path + " key", take(length(path), path));
                            walk(schema.getValueType(), path + "{}");
                        }
                    }
                }
            }
        }

        /** Moves past {@code n} bytes and returns where they start. */
        private int take(long n, String path) throws Rejection {
            if (n > bytes.length - pos) {
                throw badAvro("field '" + path + "' runs past the end of the value");
            }
            int start = pos;
            pos += (int) n;
            return start;
        }

        private long length(String path) throws Rejection {
            long n = varLong(path);
            if (n < 0) {
                throw badAvro("field '" + path + "' has negative length " + n);
            }
            return n;
        }

        private int index(int size, String path) throws Rejection {
            long i = varLong(path);
            if (i < 0 || i >= size) {
                throw badAvro("field '" + path + "' has index " + i + " of " + size + " choices");
            }
            return (int) i;
        }

        /**
         * Items in the next block of an array or map, 0 at the end. A count above the bytes left is refused:
         * every item of this project's schemas takes at least one byte.
         */
        private long blockCount(String path) throws Rejection {
            long n = varLong(path);
            if (n < 0) {
                n = -n;
                length(path); // the block's size in bytes, which a negative count announces
            }
            if (n < 0 || n > bytes.length - pos) {
                throw badAvro("field '" + path + "' claims " + n + " items in " + (bytes.length - pos) + " bytes");
            }
            return n;
        }

        /** Avro's zig-zag variable-length long. */
        private long varLong(String path) throws Rejection {
            long raw = 0;
            for (int shift = 0; shift < 70; shift += 7) {
                if (pos >= bytes.length) {
                    throw badAvro("field '" + path + "' runs past the end of the value");
                }
                int b = bytes[pos++] & 0xFF;
                raw |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return (raw >>> 1) ^ -(raw & 1);
                }
            }
            throw badAvro("field '" + path + "' holds a variable-length number longer than 10 bytes");
        }

        private void checkUtf8(String path, int start) throws Rejection {
            int length = pos - start;
            ByteBuffer in = ByteBuffer.wrap(bytes, start, length);
            utf8.reset();
            CoderResult result = utf8.decode(in, CharBuffer.allocate(length), true);
            if (result.isError()) {
                throw new Rejection(RejectReason.INVALID_UTF8, String.format(
                        "field '%s' is not valid UTF-8: byte %02X at byte %d of its %d",
                        path, bytes[Math.min(in.position(), start + length - 1)], in.position() - start, length));
            }
        }
    }
}
