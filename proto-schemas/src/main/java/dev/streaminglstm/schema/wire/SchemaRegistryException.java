package dev.streaminglstm.schema.wire;

/**
 * The schema registry could not be asked, or answered with an error: the message names the registry's URL, the
 * request and what failed. Not about a record's bytes: a reader that gets it should retry later, not reject the
 * record (the registry may only be down for a while).
 */
public final class SchemaRegistryException extends Exception {

    private static final long serialVersionUID = 1L;

    private final int status;

    SchemaRegistryException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    /** The HTTP status the registry answered with, or 0 when it gave none (no connection, no answer in time). */
    public int status() {
        return status;
    }
}
