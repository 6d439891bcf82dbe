package dev.streaminglstm.job.access;

/** The brokers did not answer in time, or the client could not even be made: nothing was refused yet. */
public final class KafkaUnreachableException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    KafkaUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
