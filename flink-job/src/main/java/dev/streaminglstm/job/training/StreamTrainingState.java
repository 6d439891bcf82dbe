package dev.streaminglstm.job.training;

import java.util.Arrays;

/**
 * What the training operator keeps per stream, in keyed state (a Flink POJO, compact in
 * RocksDB/ForSt: a few hundred bytes plus the carried state).
 */
public class StreamTrainingState {
    /** The carried (h, c) of every layer, flat ({@code RecurrentState.row}); null for a fresh stream. */
    public float[] carried;
    /** Tokens not yet trained; the first {@code T + 1} form the next window. */
    public int[] pending = new int[0];
    /** The last sequence number accepted; {@code Long.MIN_VALUE} before any. */
    public long lastSequence = Long.MIN_VALUE;
    /** Whether the head of {@code pending} is in the operator's current batch. */
    public boolean inFlight;
    /** The stream's latest conditioning vector, or null. */
    public float[] features;

    public StreamTrainingState() {}

    /** Appends tokens to the pending buffer. */
    void append(int[] tokens) {
        int[] grown = Arrays.copyOf(pending, pending.length + tokens.length);
        System.arraycopy(tokens, 0, grown, pending.length, tokens.length);
        pending = grown;
    }

    /** Whether a whole window of {@code window + 1} tokens is pending. */
    boolean hasWindow(int window) {
        return pending.length >= window + 1;
    }

    /** Drops the {@code window} tokens a trained window consumed; its last token opens the next window. */
    void consume(int window) {
        pending = Arrays.copyOfRange(pending, window, pending.length);
    }
}
