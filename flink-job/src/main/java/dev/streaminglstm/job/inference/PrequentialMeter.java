package dev.streaminglstm.job.inference;

/**
 * The inference operator's prequential figures, for its metrics: whole bits to add to a counter (so that a rate of
 * bits over a rate of tokens is the bpc over any window), and the bits per token of about the last
 * {@value #HORIZON_TOKENS} tokens scored, for a gauge. Not thread-safe.
 */
final class PrequentialMeter {
    /** Tokens over which {@link #recentBpc()} decays by 1/e. */
    static final double HORIZON_TOKENS = 16_384;

    private double fractionOfBit;
    private double decayedBits;
    private double decayedTokens;

    /**
     * Adds a chunk's score.
     *
     * @return the whole bits to count now; the fractions left carry over to the next chunk
     */
    long add(double bits, int tokens) {
        double keep = Math.exp(-tokens / HORIZON_TOKENS);
        decayedBits = decayedBits * keep + bits;
        decayedTokens = decayedTokens * keep + tokens;
        double owed = fractionOfBit + bits;
        long whole = (long) Math.floor(owed);
        fractionOfBit = owed - whole;
        return whole;
    }

    /** Bits per token of about the last {@value #HORIZON_TOKENS} tokens; NaN before any. */
    double recentBpc() {
        return decayedTokens > 0 ? decayedBits / decayedTokens : Double.NaN;
    }
}
