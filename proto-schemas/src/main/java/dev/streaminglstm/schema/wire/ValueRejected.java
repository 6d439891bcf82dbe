package dev.streaminglstm.schema.wire;

/**
 * Why the bytes of a record value are not a record of the expected type; thrown by {@link ValueDecoder}, carries
 * no stack trace. The reason's name is the {@code reasonCode} a dead letter of such a value gets.
 */
public final class ValueRejected extends Exception {

    private static final long serialVersionUID = 1L;

    /** What is wrong with the bytes. */
    public enum Reason {
        /** Not the expected framing, cut short, garbled, or followed by extra bytes. */
        BAD_AVRO,
        /** Framed well, but written with a schema the reader does not know or cannot read. */
        UNKNOWN_SCHEMA,
        /** A string field does not hold valid UTF-8. */
        INVALID_UTF8
    }

    private final Reason reason;

    public ValueRejected(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
