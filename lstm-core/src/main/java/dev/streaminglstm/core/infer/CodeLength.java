package dev.streaminglstm.core.infer;

import dev.streaminglstm.core.nn.TokenStepper;

/**
 * The code length of tokens under the distributions a model gave before it read each of them: the sum of
 * {@code -log2 p(token)} (prequential: every token scored before the model has seen it), and how many were scored.
 */
public final class CodeLength implements TokenStepper.Scorer {
    private static final double LN_2 = Math.log(2);
    private static final double LN_MIN = Math.log(Float.MIN_VALUE);

    private double bits;
    private int tokens;

    @Override
    public void score(int token, float[] distribution) {
        bits += bits(distribution[token]);
        tokens++;
    }

    /**
     * {@code -log2 p}. A probability that underflowed to 0 costs as much as the smallest float: about 149 bits, not
     * infinity.
     */
    public static double bits(float probability) {
        return -Math.log(Math.max(probability, Float.MIN_VALUE)) / LN_2;
    }

    /** {@code -log2 p} of a natural log-probability, bounded as {@link #bits(float)} is. */
    public static double bitsOfLn(float lnP) {
        return -Math.max(lnP, LN_MIN) / LN_2;
    }

    /**
     * Adds {@code count} tokens scored by their natural log-probabilities, as {@code BatchStepper#step} gives
     * them for a bundle of streams; the same bits {@link #score} gives for those tokens' distributions.
     */
    public void addLogProbabilities(float[] lnP, int count) {
        addLogProbabilities(lnP, 0, count);
    }

    /** Adds the tokens {@code from} (inclusive) to {@code to} (exclusive) of {@code lnP}, as above. */
    public void addLogProbabilities(float[] lnP, int from, int to) {
        for (int t = from; t < to; t++) {
            bits += bitsOfLn(lnP[t]);
        }
        tokens += Math.max(0, to - from);
    }

    /** Bits of the tokens scored so far. */
    public double bits() {
        return bits;
    }

    /** Tokens scored so far. */
    public int tokens() {
        return tokens;
    }
}
