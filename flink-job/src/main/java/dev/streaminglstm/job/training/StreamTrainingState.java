package dev.streaminglstm.job.training;

import java.util.Arrays;

/**
 * What the training operator keeps per stream, in keyed state (a Flink POJO, compact in
 * RocksDB/ForSt: a few hundred bytes plus the carried state and two bytes per pending token).
 */
public class StreamTrainingState {
    /** The carried (h, c) of every layer, flat ({@code RecurrentState.row}); null for a fresh stream. */
    public float[] carried;
    /**
     * Tokens not yet trained, as token ids (0..257, so two bytes each rather than four); the first
     * {@code T + 1} form the next window.
     */
    public short[] pending = new short[0];
    /** The last sequence number accepted; {@code Long.MIN_VALUE} before any. */
    public long lastSequence = Long.MIN_VALUE;
    /** Whether the head of {@code pending} is in the operator's current batch. */
    public boolean inFlight;
    /** The stream's latest conditioning vector, or null. */
    public float[] features;

    public StreamTrainingState() {}

    /** Appends tokens to the pending buffer. */
    void append(int[] tokens) {
        short[] grown = Arrays.copyOf(pending, pending.length + tokens.length);
        for (int i = 0; i < tokens.length; i++) {
            grown[pending.length + i] = (short) tokens[i];
        }
        pending = grown;
    }

    /** Whether a whole window of {@code window + 1} tokens is pending. */
    boolean hasWindow(int window) {
        return pending.length >= window + 1;
    }

    /** The {@code window + 1} tokens of the next window. */
    int[] nextWindow(int window) {
        return firstPending(window + 1);
    }

    /** The stream's next window of {@code window + 1} tokens, from its carried state. */
    TokenWindow window(String streamId, int window) {
        return new TokenWindow(streamId, nextWindow(window), carried, features);
    }

    /** Drops the {@code window} tokens a trained window consumed; its last token opens the next window. */
    void consume(int window) {
        pending = Arrays.copyOfRange(pending, window, pending.length);
    }

    /** Whether the stream has ever had a token (its next document start must close the previous one). */
    boolean hasTokens() {
        return pending.length > 0 || carried != null;
    }

    /** The pending tokens as token ids. */
    int[] pendingTokens() {
        return firstPending(pending.length);
    }

    /** The first {@code n} pending tokens as token ids. */
    private int[] firstPending(int n) {
        int[] tokens = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = pending[i];
        }
        return tokens;
    }
}
