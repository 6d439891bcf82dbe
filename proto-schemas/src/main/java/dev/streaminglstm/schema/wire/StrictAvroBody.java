package dev.streaminglstm.schema.wire;

import dev.streaminglstm.schema.wire.ValueRejected.Reason;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * Checks that bytes are exactly one Avro binary record of a writer schema, more strictly than Avro does, without
 * building anything: every length is checked against the bytes left before anything would be allocated, every
 * string must be valid UTF-8 (Avro would silently replace bad bytes), and no byte may follow the record.
 *
 * <p>Writer schemas must first pass {@link #unsupported}: a recursive record could make the walk endless, and an
 * array of items that take no bytes could claim any number of them.
 *
 * <p>Not thread-safe: one instance per reading thread.
 */
public final class StrictAvroBody {

    private final String recordName;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder();
    private byte[] bytes;
    private int pos;

    /** A checker whose reasons call the record a {@code recordName}, as in "not a TextEvent: ...". */
    public StrictAvroBody(String recordName) {
        this.recordName = recordName;
    }

    /**
     * Checks {@code bytes} from {@code start} to the end against {@code writer}.
     *
     * @throws ValueRejected BAD_AVRO or INVALID_UTF8, saying which field and what is wrong
     */
    public void check(byte[] bytes, int start, Schema writer) throws ValueRejected {
        this.bytes = bytes;
        this.pos = start;
        try {
            walk(writer, "");
            if (pos != bytes.length) {
                throw badAvro((bytes.length - pos) + " bytes follow the end of the " + recordName);
            }
        } finally {
            this.bytes = null;
        }
    }

    /**
     * What in {@code schema} this checker cannot walk safely, or null when nothing: a record that contains itself,
     * or an array whose items can take no bytes.
     */
    public static String unsupported(Schema schema) {
        return unsupported(schema, "", new HashSet<>());
    }

    private static String unsupported(Schema schema, String path, Set<String> enclosing) {
        switch (schema.getType()) {
            case RECORD -> {
                if (!enclosing.add(schema.getFullName())) {
                    return "record " + schema.getFullName() + " contains itself at '" + path + "'";
                }
                for (Schema.Field field : schema.getFields()) {
                    String problem = unsupported(field.schema(), join(path, field.name()), enclosing);
                    if (problem != null) {
                        return problem;
                    }
                }
                enclosing.remove(schema.getFullName());
                return null;
            }
            case ARRAY -> {
                if (!takesBytes(schema.getElementType())) {
                    return "array '" + path + "' has items that take no bytes";
                }
                return unsupported(schema.getElementType(), path + "[]", enclosing);
            }
            case MAP -> {
                return unsupported(schema.getValueType(), path + "{}", enclosing);
            }
            case UNION -> {
                for (Schema branch : schema.getTypes()) {
                    String problem = unsupported(branch, path, enclosing);
                    if (problem != null) {
                        return problem;
                    }
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    /** True when every value of {@code schema} takes at least one byte; the schema has no recursive record. */
    private static boolean takesBytes(Schema schema) {
        return switch (schema.getType()) {
            case NULL -> false;
            case FIXED -> schema.getFixedSize() > 0;
            case RECORD -> schema.getFields().stream().anyMatch(field -> takesBytes(field.schema()));
            default -> true;
        };
    }

    private static String join(String path, String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    private void walk(Schema schema, String path) throws ValueRejected {
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
                    walk(field.schema(), join(path, field.name()));
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
    private int take(long n, String path) throws ValueRejected {
        if (n > bytes.length - pos) {
            throw badAvro("field '" + path + "' runs past the end of the value");
        }
        int start = pos;
        pos += (int) n;
        return start;
    }

    private long length(String path) throws ValueRejected {
        long n = varLong(path);
        if (n < 0) {
            throw badAvro("field '" + path + "' has negative length " + n);
        }
        return n;
    }

    private int index(int size, String path) throws ValueRejected {
        long i = varLong(path);
        if (i < 0 || i >= size) {
            throw badAvro("field '" + path + "' has index " + i + " of " + size + " choices");
        }
        return (int) i;
    }

    /**
     * Items in the next block of an array or map, 0 at the end. A count above the bytes left is refused: every
     * item takes at least one byte (see {@link #unsupported}).
     */
    private long blockCount(String path) throws ValueRejected {
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
    private long varLong(String path) throws ValueRejected {
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

    private void checkUtf8(String path, int start) throws ValueRejected {
        int length = pos - start;
        ByteBuffer in = ByteBuffer.wrap(bytes, start, length);
        utf8.reset();
        CoderResult result = utf8.decode(in, CharBuffer.allocate(length), true);
        if (result.isError()) {
            throw new ValueRejected(Reason.INVALID_UTF8, String.format(
                    "field '%s' is not valid UTF-8: byte %02X at byte %d of its %d",
                    path, bytes[Math.min(in.position(), start + length - 1)], in.position() - start, length));
        }
    }

    private ValueRejected badAvro(String message) {
        return new ValueRejected(Reason.BAD_AVRO, "not a " + recordName + ": " + message);
    }
}
