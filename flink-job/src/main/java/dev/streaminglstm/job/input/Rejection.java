package dev.streaminglstm.job.input;

/** A record's reason for rejection, thrown inside this package while checking a record; carries no stack trace. */
final class Rejection extends Exception {

    private static final long serialVersionUID = 1L;

    private final RejectReason reason;

    Rejection(RejectReason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    RejectReason reason() {
        return reason;
    }
}
