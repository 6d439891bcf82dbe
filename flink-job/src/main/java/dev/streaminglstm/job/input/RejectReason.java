package dev.streaminglstm.job.input;

/**
 * Why an input record became a dead letter; the name is the {@code reasonCode} of the {@code DeadLetter}.
 */
public enum RejectReason {
    /** The value is not a single-object encoded {@code TextEvent}: no value, wrong header, cut or garbled. */
    BAD_AVRO,
    /**
     * The value's schema fingerprint is none of the {@code TextEvent} schemas the job knows: another record, or a
     * newer {@code TextEvent} that the job must be deployed with before its producers write it.
     */
    UNKNOWN_SCHEMA,
    /** A string field of the {@code TextEvent} does not hold valid UTF-8. */
    INVALID_UTF8,
    /** The value is larger than the configured maximum record size. */
    TOO_LARGE,
    /** The record has no key, or the event's stream id is empty or blank. */
    MISSING_STREAM_ID,
    /** The record's key is not the event's stream id in UTF-8. */
    KEY_MISMATCH,
    /** The feature vector does not fit the configured conditioning size, or holds a value that is not finite. */
    BAD_FEATURES
}
