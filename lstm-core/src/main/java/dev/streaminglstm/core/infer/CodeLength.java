package dev.streaminglstm.core.infer;

import dev.streaminglstm.core.nn.TokenStepper;

/**
 * The code length of tokens under the distributions a model gave before it read each of them: the sum of
 * {@code -log2 p(token)} (prequential: every token scored before the model has seen it), and how many were scored.
 */
public final class CodeLength implements TokenStepper.Scorer {
    private static final double LN_2 = Math.log(2);

    private double bits;
    private int tokens;

    @Override
    public void score(int token, float[] distribution) {
        // A probability that underflowed to 0 costs as much as the smallest float: about 149 bits, not infinity.
        bits -= Math.log(Math.max(distribution[token], Float.MIN_VALUE)) / LN_2;
        tokens++;
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
