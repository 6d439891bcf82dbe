package dev.streaminglstm.sandbox;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * The prequential code length of the predictions seen so far: every token scored by the served model before it
 * saw it ({@code Prediction.scoredBits} over {@code scoredTokens}), over the whole run, its first
 * {@value #WINDOW_TOKENS} tokens and its last {@value #WINDOW_TOKENS} (at chunk granularity). Not thread-safe.
 */
public final class Prequential {
    /** Tokens in the first and in the recent window. */
    static final long WINDOW_TOKENS = 20_000;

    private double bits;
    private long tokens;
    private long draftTokens;
    private double firstBits;
    private long firstTokens;
    private final Deque<double[]> recent = new ArrayDeque<>();
    private double recentBits;
    private long recentTokens;

    /** Adds one prediction's score. */
    public void add(double chunkBits, int chunkTokens) {
        add(chunkBits, chunkTokens, false);
    }

    /** Adds one prediction's score; {@code draft}: the prediction was made by a draft. */
    public void add(double chunkBits, int chunkTokens, boolean draft) {
        if (chunkTokens <= 0) {
            return;
        }
        bits += chunkBits;
        tokens += chunkTokens;
        if (draft) {
            draftTokens += chunkTokens;
        }
        if (firstTokens < WINDOW_TOKENS) {
            firstBits += chunkBits;
            firstTokens += chunkTokens;
        }
        recent.addLast(new double[] {chunkBits, chunkTokens});
        recentBits += chunkBits;
        recentTokens += chunkTokens;
        while (recentTokens - recent.peekFirst()[1] >= WINDOW_TOKENS) {
            double[] old = recent.removeFirst();
            recentBits -= old[0];
            recentTokens -= (long) old[1];
        }
    }

    /** The figures now. */
    public Snapshot snapshot() {
        return new Snapshot(bits, tokens, bpc(firstBits, firstTokens), bpc(recentBits, recentTokens), draftTokens);
    }

    private static Optional<Double> bpc(double bits, long tokens) {
        return tokens > 0 ? Optional.of(bits / tokens) : Optional.empty();
    }

    /**
     * @param bits the code length of every token scored, in bits
     * @param tokens tokens scored
     * @param first bits per token of the first {@value #WINDOW_TOKENS} tokens scored
     * @param recent bits per token of the last {@value #WINDOW_TOKENS} tokens scored
     * @param draftTokens of those tokens, the ones scored by drafts (the job's {@code --draft-interval-ms})
     */
    public record Snapshot(double bits, long tokens, Optional<Double> first, Optional<Double> recent,
            long draftTokens) {
        public static final Snapshot NONE = new Snapshot(0, 0, Optional.empty(), Optional.empty());

        /** Figures without drafts. */
        public Snapshot(double bits, long tokens, Optional<Double> first, Optional<Double> recent) {
            this(bits, tokens, first, recent, 0);
        }

        /** Bits per token over every token scored. */
        public Optional<Double> bpc() {
            return Prequential.bpc(bits, tokens);
        }

        /** Whether the first and the recent window are apart (more than two windows were scored). */
        public boolean falling() {
            return tokens > 2 * WINDOW_TOKENS;
        }
    }
}
