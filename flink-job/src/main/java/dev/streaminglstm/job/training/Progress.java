package dev.streaminglstm.job.training;

/**
 * What a replica trained since it last sent a delta.
 *
 * @param windows windows trained
 * @param tokens tokens trained
 * @param lossNats sum over the trained batches of mean loss times tokens, in nats
 * @param skippedSteps non-finite optimiser steps skipped
 */
record Progress(long windows, long tokens, double lossNats, long skippedSteps) {
    static final Progress NONE = new Progress(0, 0, 0, 0);

    /** This progress and {@code other}'s. */
    Progress plus(Progress other) {
        return new Progress(windows + other.windows, tokens + other.tokens, lossNats + other.lossNats,
                skippedSteps + other.skippedSteps);
    }

    boolean any() {
        return windows > 0;
    }
}
