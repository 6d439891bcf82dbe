package dev.streaminglstm.core.infer;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.RecurrentState;

/**
 * One stream's own correction of the softmax layer, learnt from the stream as it is read: dynamic evaluation of the
 * head (Krause et al. 2018). The corrected logits are {@code z' = z + dW h + db}, with {@code h} the first
 * {@code units} values of the top layer's output (all of them, or fewer for a cheaper correction: the units of a
 * layer are alike, so the first ones are as good as any); a chunk of bytes is scored with the correction as it is, then one SGD step on the chunk's summed
 * {@code -ln p'(y)} follows, whose gradient is {@code (p' - onehot(y))} times {@code [h; 1]}. So every byte is scored
 * before anything learns from it. Not thread-safe.
 *
 * <p>Kept transposed, {@code [units + 1][V]} (row {@code j < units} is {@code dW[:, j]}, the last is {@code db}), so
 * that both the correction and the step add multiples of rows to a row of {@code V} floats. Each row is its own array:
 * the JIT vectorises {@code a[v] += s * b[v]} over two arrays, not over two places of one array that might overlap (5x
 * slower at H 256 when this was one flat array).
 */
public final class HeadCorrection {
    private final int units;
    private final int vocab;
    /** {@code [H + 1][V]}. */
    private final float[][] rows;
    /** Tokens whose rows of {@code V} floats stay in the first-level cache while a row of the correction meets them. */
    private static final int BLOCK = 16;

    private HeadCorrection(float[][] rows) {
        this.units = rows.length - 1;
        this.vocab = rows[0].length;
        this.rows = rows;
    }

    /** No correction yet, on the first {@code units} values of the top layer's output: the model's own distribution. */
    public static HeadCorrection zero(int units, int vocab) {
        return new HeadCorrection(new float[units + 1][vocab]);
    }

    /**
     * A correction from its {@link #rows()}, used in place.
     *
     * @throws IllegalArgumentException for fewer than two rows or rows of different lengths
     */
    public static HeadCorrection of(float[][] rows) {
        if (rows.length < 2 || rows[0] == null) {
            throw new IllegalArgumentException("a head correction has units + 1 rows, at least 2, was given "
                    + rows.length);
        }
        for (float[] row : rows) {
            if (row == null || row.length != rows[0].length) {
                throw new IllegalArgumentException("a head correction's rows must all have the vocabulary's length, "
                        + rows[0].length);
            }
        }
        return new HeadCorrection(rows);
    }

    /** Whether {@code rows} is a correction on {@code units} values and this vocabulary. */
    public static boolean fits(float[][] rows, int units, int vocab) {
        return rows != null && rows.length == units + 1 && rows[0] != null && rows[0].length == vocab;
    }

    /** The correction's values, {@code [H + 1][V]}, not copied. */
    public float[][] rows() {
        return rows;
    }

    /**
     * Adds the correction to {@code logits} ({@code [V]}, logits or log-probabilities) in place; {@code h} is the top
     * layer's output, of at least {@code units} values.
     */
    public void correct(float[] logits, float[] h) {
        requireShapes(logits, h);
        for (int j = 0; j < units; j++) {
            axpy(h[j], rows[j], logits);
        }
        axpy(1f, rows[units], logits);
    }

    /**
     * Scores tokens {@code [from, to)} with the correction as it is, then learns from those from {@code learnFrom} on
     * in one SGD step. The correction's rows are read in blocks of {@value #BLOCK} tokens, so each is read from
     * memory once a block instead of once a token.
     *
     * @param logits {@code [V]} per token: the model's logits (or log-probabilities: a shift per row changes
     *     nothing) before it; used as scratch
     * @param h {@code [>= units]} per token: the top layer's output before it
     * @param targets the tokens
     * @param learnFrom the first token learnt from, at least {@code from}
     * @param rate the SGD step size; 0 scores without learning
     * @param lnP receives {@code ln p'(targets[t])} at {@code t}
     */
    public void scoreThenLearn(float[][] logits, float[][] h, int[] targets, int from, int learnFrom, int to,
            float rate, float[] lnP) {
        if (learnFrom < from) {
            throw new IllegalArgumentException("learning from token " + learnFrom + " before the first scored, " + from);
        }
        for (int t = from; t < to; t++) {
            requireShapes(logits[t], h[t]);
        }
        // logits += dW h + db
        for (int block = from; block < to; block += BLOCK) {
            int end = Math.min(to, block + BLOCK);
            for (int j = 0; j <= units; j++) {
                float[] row = rows[j];
                for (int t = block; t < end; t++) {
                    axpy(j < units ? h[t][j] : 1f, row, logits[t]);
                }
            }
        }
        // each token's score; a token learnt from leaves g = rate (onehot(y) - p') in its row: minus the rate times
        // the gradient of -ln p'(y) by the logits
        for (int t = from; t < to; t++) {
            float[] z = logits[t];
            float max = Float.NEGATIVE_INFINITY;
            for (float v : z) {
                max = Math.max(max, v);
            }
            float picked = z[targets[t]] - max;
            double sum = 0;
            for (int v = 0; v < vocab; v++) {
                z[v] = (float) Math.exp(z[v] - max);
                sum += z[v];
            }
            lnP[t] = (float) (picked - Math.log(sum));
            if (t >= learnFrom) {
                float scale = (float) (-rate / sum);
                for (int v = 0; v < vocab; v++) {
                    z[v] *= scale;
                }
                z[targets[t]] += rate;
            }
        }
        if (rate == 0) {
            return;
        }
        // dW += sum over t of g h^T, db += sum of g
        for (int block = learnFrom; block < to; block += BLOCK) {
            int end = Math.min(to, block + BLOCK);
            for (int j = 0; j <= units; j++) {
                float[] row = rows[j];
                for (int t = block; t < end; t++) {
                    axpy(j < units ? h[t][j] : 1f, logits[t], row);
                }
            }
        }
    }

    /**
     * Reads {@code tokens} with {@code session} token by token, scores those from {@code first} on with the corrected
     * distribution into {@code lnP}, then learns from those from {@code learnFrom} on ({@link #scoreThenLearn}); the
     * correction changes no state. Returns the model's own distribution after the last token.
     *
     * @param first the first token with a distribution before it: 0, or 1 for a session that has read nothing
     */
    public float[] read(InferenceSession session, ModelConfig config, int[] tokens, int first, int learnFrom,
            float rate, float[] lnP) {
        int n = tokens.length;
        float[][] lnBase = new float[n][]; // [n][V]: the model's ln p before each token scored
        float[][] h = new float[n][];      // [n][H]: the top layer's output there
        float[] p = session.nextDistribution();
        for (int t = 0; t < n; t++) {
            if (t >= first) {
                lnBase[t] = logOf(p);
                h[t] = RecurrentState.topHidden(config, session.flatState());
            }
            p = session.feed(tokens[t]);
        }
        scoreThenLearn(lnBase, h, tokens, first, learnFrom, n, rate, lnP);
        return p;
    }

    /**
     * The corrected distribution after a model's distribution {@code p} ({@code [V]}) at top-layer output {@code h}:
     * {@code softmax(ln p + dW h + db)}, a new array.
     */
    public float[] distribution(float[] p, float[] h) {
        float[] z = logOf(p);
        correct(z, h);
        logSoftmax(z);
        for (int v = 0; v < z.length; v++) {
            z[v] = (float) Math.exp(z[v]);
        }
        return z;
    }

    /** {@code ln p}, a new array; 0 is read as the smallest float. */
    private static float[] logOf(float[] p) {
        float[] ln = new float[p.length];
        for (int v = 0; v < p.length; v++) {
            ln[v] = (float) Math.log(Math.max(p[v], Float.MIN_VALUE));
        }
        return ln;
    }

    /** {@code out += a x}. */
    private static void axpy(float a, float[] x, float[] out) {
        if (a == 0f) {
            return;
        }
        for (int v = 0; v < out.length; v++) {
            out[v] += a * x[v];
        }
    }

    /** {@code z - ln sum exp z}, in place. */
    private static void logSoftmax(float[] z) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        float shift = (float) (max + Math.log(sum));
        for (int v = 0; v < z.length; v++) {
            z[v] -= shift;
        }
    }

    private void requireShapes(float[] logits, float[] h) {
        if (logits.length != vocab || h.length < units) {
            throw new IllegalArgumentException("a head correction of " + units + " units and vocabulary " + vocab
                    + " was given " + logits.length + " logits and an h of " + h.length);
        }
    }
}
