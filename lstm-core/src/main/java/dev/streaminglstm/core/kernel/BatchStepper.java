package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.Embedding;
import dev.streaminglstm.core.infer.TokenSampler;
import java.util.Arrays;
import java.util.stream.IntStream;

/**
 * Many streams of an LSTM model with FLOAT parameters read together: each stream has its own
 * state and its own chunk of tokens, of any length, and all are stepped in lockstep, one matrix
 * product per layer and step over the streams that still have a token, where {@link FastStepper}
 * takes two matrix-vector products per layer, token and stream. The same function as stepping
 * each stream alone ({@code BatchStepperTest} checks it to float precision).
 *
 * <p>Shapes: {@code S} streams; a state is one stream's flat row of
 * {@link RecurrentState#flatSize} floats ({@link RecurrentState#row}: layer by layer, h then c);
 * distributions have {@code vocab} entries.
 *
 * <p>Made once per parameter version: the first layer's input projection with its bias
 * ({@code table Wx + b}, {@code [V, G]}) becomes a row lookup, and the input and recurrent
 * weights of the layers above are stacked into one {@code [2H, G]} matrix (one product a step).
 * It reads the parameters' arrays in place, so they must not change while it is used. Calls may
 * run on several threads at once.
 */
public final class BatchStepper {
    private final ModelConfig config;
    private final int layers;
    private final int hidden;
    private final int vocab;
    private final int startToken;
    private final Parallelism parallelism;
    /** Layer 0: {@code Wh [H, G]}; layer l > 0: {@code [Wx; Wh] [2H, G]} for the input {@code [h_{l-1}, h_l]}. */
    private final NativeMatrix[] weights;
    /** {@code table Wx_0 + b_0}, {@code [V][G]}. */
    private final float[] projected;
    /** Per layer, the bias not folded elsewhere: zeros for layer 0, {@code b_l} above, {@code [G]}. */
    private final float[][] bias;
    /** Per layer {@code Wv [K, G]}, or null for an unconditioned model. */
    private final NativeMatrix[] conditioningWeights;
    private final NativeMatrix headWeights;
    private final float[] headBias;

    /**
     * Changes a stream's logits before the head uses them (to score a token, as its next distribution, or to pick the
     * greedy token of a continuation): for a correction of the head that a stream learns for itself.
     */
    @FunctionalInterface
    public interface LogitHook {
        /**
         * @param stream the stream's index in the call
         * @param t the index in the stream's tokens of the token about to be scored, or their count for the
         *     distribution after them
         * @param logits {@code [vocab]}: the head's logits with its bias, changed in place
         * @param h {@code [hidden]}: the top layer's output they come from, a copy
         */
        void apply(int stream, int t, float[] logits, float[] h);
    }

    private BatchStepper(ModelConfig config, ParameterSet params, int startToken, Parallelism parallelism) {
        this.config = config;
        this.layers = config.layers();
        this.hidden = config.hiddenSize();
        this.vocab = config.vocabSize();
        this.startToken = startToken;
        this.parallelism = parallelism;
        int width = config.gateWidth();
        this.weights = new NativeMatrix[layers];
        this.bias = new float[layers][];
        this.conditioningWeights = config.conditioned() ? new NativeMatrix[layers] : null;
        for (int l = 0; l < layers; l++) {
            float[] wh = NativeMatrix.of(params.get(ParameterNames.recurrentWeights(l))).toHeap();
            float[] b = NativeMatrix.of(params.get(ParameterNames.bias(l))).toHeap();
            if (l == 0) {
                weights[l] = NativeMatrix.of(wh, hidden, width);
                bias[l] = new float[width];
            } else {
                float[] wx = NativeMatrix.of(params.get(ParameterNames.inputWeights(l))).toHeap();
                float[] stacked = Arrays.copyOf(wx, 2 * hidden * width);
                System.arraycopy(wh, 0, stacked, hidden * width, hidden * width);
                weights[l] = NativeMatrix.of(stacked, 2L * hidden, width);
                bias[l] = b;
            }
            if (conditioningWeights != null) {
                conditioningWeights[l] = NativeMatrix.of(params.get(ParameterNames.conditioningWeights(l)));
            }
        }
        NativeMatrix table = NativeMatrix.of(params.get(ParameterNames.EMBEDDING));
        NativeMatrix p = NativeMatrix.uninitialized(vocab, width);
        Blas.gemm(table.all(), false, NativeMatrix.of(params.get(ParameterNames.inputWeights(0))).all(), false, 0f,
                p.all());
        this.projected = p.toHeap();
        float[] b0 = NativeMatrix.of(params.get(ParameterNames.bias(0))).toHeap();
        for (int v = 0; v < vocab; v++) {
            for (int k = 0; k < width; k++) {
                projected[v * width + k] += b0[k];
            }
        }
        this.headWeights = NativeMatrix.of(params.get(ParameterNames.HEAD_WEIGHTS));
        this.headBias = NativeMatrix.of(params.get(ParameterNames.HEAD_BIAS)).toHeap();
    }

    /**
     * A batch stepper over {@code params}, splitting each call's streams over up to
     * {@code threads} threads ({@link Kernel#create(ModelConfig, int)} says more).
     *
     * @param startToken the id that zeroes a stream's state before it, or -1
     * @throws IllegalArgumentException for parameters the fast kernel does not run
     */
    public static BatchStepper create(ParameterSet params, int startToken, int threads) {
        Kernel.FAST.require(params, "the batch stepper");
        return new BatchStepper(params.config(), params, startToken, Parallelism.of(threads));
    }

    public ModelConfig config() {
        return config;
    }

    /** Floats in one stream's state. */
    public int stateSize() {
        return RecurrentState.flatSize(config);
    }

    /**
     * Reads each stream's tokens from its state, all streams in lockstep.
     *
     * @param states {@code [S][stateSize]}: each stream's state, replaced in place by the state
     *     after its tokens
     * @param tokens {@code [S][n_s]}: each stream's tokens in order, {@code n_s >= 0}; a
     *     {@code <start>} token zeroes its stream's state before it. A stream with no tokens keeps
     *     its state and gets no distribution.
     * @param conditioning {@code [S][K]} each stream's conditioning vector, or null for an
     *     unconditioned model
     * @param logProbabilities null, or {@code [S][>= n_s]} to receive
     *     {@code ln p(tokens[s][t] | the stream before it)} for {@code t < n_s}: the log-probability
     *     of each token under the distribution before it (for {@code t = 0}, the one of the state
     *     given), without a softmax copy per token
     * @return {@code [S][vocab]}: the next token's distribution after each stream's last token,
     *     null for a stream without tokens
     * @throws IllegalArgumentException for arrays of the wrong shape or token ids outside the
     *     vocabulary (before any state changes)
     */
    public float[][] step(float[][] states, int[][] tokens, float[][] conditioning, float[][] logProbabilities) {
        return step(states, tokens, conditioning, logProbabilities, null);
    }

    /**
     * Steps as {@link #step(float[][], int[][], float[][], float[][])} does, with {@code hook} (null: none) changing
     * every logit row the head uses; with a hook, {@code logProbabilities} must be given. The hook may be called from
     * several threads at once, for distinct streams.
     */
    public float[][] step(float[][] states, int[][] tokens, float[][] conditioning, float[][] logProbabilities,
            LogitHook hook) {
        requireShapes(states, tokens, conditioning, logProbabilities);
        if (hook != null && logProbabilities == null) {
            throw new IllegalArgumentException("a logit hook sees every token's logits: give logProbabilities too");
        }
        float[][] next = new float[tokens.length][];
        run(states, tokens, conditioning, logProbabilities, next, null, hook);
        return next;
    }

    /** Steps as {@link #step} does, giving each stream's most probable next token instead of its distribution. */
    private int[] stepGreedily(float[][] states, int[][] tokens, float[][] conditioning, LogitHook hook) {
        requireShapes(states, tokens, conditioning, null);
        int[] best = new int[tokens.length];
        run(states, tokens, conditioning, null, null, best, hook);
        return best;
    }

    private void run(float[][] states, int[][] tokens, float[][] conditioning, float[][] logProbabilities,
            float[][] next, int[] best, LogitHook hook) {
        int[] order = longestFirst(tokens);
        int parts = parallelism.parts(order.length, FastLstmLayer.MIN_STREAMS_PER_PART);
        parallelism.run(parts, p -> new Run(Arrays.copyOfRange(order, Parallelism.start(p, parts, order.length),
                Parallelism.start(p + 1, parts, order.length)), states, tokens, conditioning, logProbabilities, next,
                best, hook).go());
    }

    /** The streams with tokens, longest chunk first (ties by stream id). */
    private static int[] longestFirst(int[][] tokens) {
        long[] keys = new long[tokens.length];
        int n = 0;
        for (int s = 0; s < tokens.length; s++) {
            if (tokens[s].length > 0) {
                keys[n++] = ((long) (Integer.MAX_VALUE - tokens[s].length) << 32) | s;
            }
        }
        Arrays.sort(keys, 0, n);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }

    /**
     * Greedy continuations: from each stream's state and next-token distribution, the most
     * probable token, read, and again, until {@code length} tokens or {@code stopToken}
     * (inclusive; -1 for none). The states are not changed.
     *
     * @param next {@code [S][vocab]}: each stream's next-token distribution, or null for no continuation
     * @return {@code [S][<= length]} the tokens of each continuation
     */
    public int[][] continueGreedily(float[][] states, float[][] next, float[][] conditioning, int length,
            int stopToken) {
        return continueGreedily(states, next, conditioning, length, stopToken, null);
    }

    /**
     * Greedy continuations as {@link #continueGreedily(float[][], float[][], float[][], int, int)} gives them, with
     * {@code hook} (null: none) changing the logits each token after the first is picked from ({@code t} is then
     * 1).
     */
    public int[][] continueGreedily(float[][] states, float[][] next, float[][] conditioning, int length,
            int stopToken, LogitHook hook) {
        int streams = states.length;
        if (next.length != streams) {
            throw new IllegalArgumentException(next.length + " distributions for " + streams + " streams");
        }
        float[][] state = new float[streams][];
        int[] best = new int[streams]; // each open stream's most probable next token
        int[][] out = new int[streams][Math.max(0, length)];
        int[] written = new int[streams];
        int[] open = IntStream.range(0, streams).filter(s -> next[s] != null && length > 0).toArray();
        for (int s = 0; s < streams; s++) {
            state[s] = states[s].clone();
            best[s] = next[s] == null ? -1 : TokenSampler.greedy(next[s]);
        }
        while (open.length > 0) {
            int[] reading = Arrays.stream(open).filter(s -> {
                int token = best[s];
                out[s][written[s]++] = token;
                return token != stopToken && written[s] < length;
            }).toArray();
            float[][] subStates = new float[reading.length][];
            int[][] subTokens = new int[reading.length][];
            float[][] subConditioning = conditioning == null ? null : new float[reading.length][];
            for (int i = 0; i < reading.length; i++) {
                int s = reading[i];
                subStates[i] = state[s];
                subTokens[i] = new int[] {out[s][written[s] - 1]};
                if (subConditioning != null) {
                    subConditioning[i] = conditioning[s];
                }
            }
            // no softmax: the largest logit is the most probable token
            int[] picked = stepGreedily(subStates, subTokens, subConditioning,
                    hook == null ? null : (i, t, logits, h) -> hook.apply(reading[i], t, logits, h));
            for (int i = 0; i < reading.length; i++) {
                best[reading[i]] = picked[i];
            }
            open = reading;
        }
        int[][] result = new int[streams][];
        for (int s = 0; s < streams; s++) {
            result[s] = Arrays.copyOf(out[s], written[s]);
        }
        return result;
    }

    private void requireShapes(float[][] states, int[][] tokens, float[][] conditioning, float[][] logProbabilities) {
        int streams = tokens.length;
        if (states.length != streams) {
            throw new IllegalArgumentException(states.length + " states for " + streams + " streams' tokens");
        }
        if (conditioning == null && config.conditioned()) {
            throw new IllegalArgumentException("the model is conditioned on vectors of " + config.conditioningSize()
                    + " values, the streams have none");
        }
        if (conditioning != null && conditioning.length != streams) {
            throw new IllegalArgumentException(conditioning.length + " conditioning vectors for " + streams + " streams");
        }
        if (logProbabilities != null && logProbabilities.length != streams) {
            throw new IllegalArgumentException(logProbabilities.length + " score rows for " + streams + " streams");
        }
        for (int s = 0; s < streams; s++) {
            if (states[s] == null || states[s].length != stateSize()) {
                throw new IllegalArgumentException("stream " + s + " has a state of "
                        + (states[s] == null ? "none" : states[s].length + " floats") + ", expected " + stateSize()
                        + " (see RecurrentState#row)");
            }
            Embedding.requireIds(tokens[s], vocab);
            if (conditioning != null) {
                FastStepper.requireConditioning(config, conditioning[s]);
            }
            if (logProbabilities != null && (logProbabilities[s] == null || logProbabilities[s].length < tokens[s].length)) {
                throw new IllegalArgumentException("stream " + s + " has " + tokens[s].length + " tokens but room for "
                        + (logProbabilities[s] == null ? 0 : logProbabilities[s].length) + " scores");
            }
        }
    }

    /**
     * One call's streams {@code rows} (stream ids, longest chunk first), stepped on the calling
     * thread. Row {@code r} of every buffer is stream {@code rows[r]}; the streams that still have
     * a token at step {@code t} are always the first {@code active(t)} rows.
     */
    private final class Run {
        private final int[] rows;
        private final float[][] states;
        private final int[][] tokens;
        private final float[][] logProbabilities;
        private final float[][] next;
        /** Null, or {@code [S]} to receive each stream's most probable next token in place of {@link #next}. */
        private final int[] best;
        private final LogitHook hook;
        private final int width = 4 * hidden;
        private final Scratch scratch = Scratch.ofThread();
        /** Layer l's input: {@code h_0} for layer 0, {@code [h_{l-1}, h_l]} above, {@code [R, H or 2H]}. */
        private final NativeMatrix[] input = new NativeMatrix[layers];
        private final float[][] cell = new float[layers][];
        /** Per layer and gate, each row's bias: {@code [L][4][R * H]}. */
        private final float[][][] rowBias;
        private final NativeMatrix z;
        private final NativeMatrix logits;
        private final float[][] gate = new float[4][];
        private final float[] tanhC;
        private final float[] h;
        private final float[] ones;

        Run(int[] rows, float[][] states, int[][] tokens, float[][] conditioning, float[][] logProbabilities,
                float[][] next, int[] best, LogitHook hook) {
            this.rows = rows;
            this.hook = hook;
            this.states = states;
            this.tokens = tokens;
            this.logProbabilities = logProbabilities;
            this.next = next;
            this.best = best;
            int count = Math.max(1, rows.length);
            int n = count * hidden;
            for (int l = 0; l < layers; l++) {
                input[l] = scratch.matrix(count, l == 0 ? hidden : 2 * hidden);
                cell[l] = scratch.floats(n);
            }
            this.rowBias = rowBias(conditioning, count);
            this.z = scratch.matrix(count, width);
            this.logits = scratch.matrix(count, vocab);
            for (int q = 0; q < 4; q++) {
                gate[q] = scratch.floats(n);
            }
            this.tanhC = scratch.floats(n);
            this.h = scratch.floats(n);
            this.ones = new float[count];
            Arrays.fill(ones, 1f);
        }

        void go() {
            if (rows.length == 0) {
                release();
                return;
            }
            load();
            int steps = tokens[rows[0]].length;
            if (logProbabilities != null) {
                head(0, rows.length, 0);
            }
            for (int t = 0; t < steps; t++) {
                int active = active(t);
                zeroStarted(t, active);
                for (int l = 0; l < layers; l++) {
                    layer(l, t, active);
                }
                head(logProbabilities != null ? 0 : active(t + 1), active, t + 1);
            }
            store();
            release();
        }

        /** Rows with a token at step {@code t}. */
        private int active(int t) {
            int a = 0;
            while (a < rows.length && tokens[rows[a]].length > t) {
                a++;
            }
            return a;
        }

        /** Per layer and gate, each row's bias: the layer's own, plus {@code v Wv} of its stream. */
        private float[][][] rowBias(float[][] conditioning, int count) {
            float[][][] out = new float[layers][4][count * hidden];
            NativeMatrix v = null;
            if (conditioningWeights != null) {
                int k = config.conditioningSize();
                v = NativeMatrix.uninitialized(count, k);
                for (int r = 0; r < rows.length; r++) {
                    v.write(r, conditioning[rows[r]], 0, k);
                }
            }
            NativeMatrix vw = v == null ? null : NativeMatrix.uninitialized(count, width);
            for (int l = 0; l < layers; l++) {
                float[] perRow = null;
                if (v != null) {
                    Blas.gemm(v.rows(0, rows.length), false, conditioningWeights[l].all(), false, 0f,
                            vw.rows(0, rows.length));
                    perRow = vw.toHeap();
                }
                for (int r = 0; r < rows.length; r++) {
                    for (int q = 0; q < 4; q++) {
                        for (int j = 0; j < hidden; j++) {
                            float b = bias[l][q * hidden + j];
                            out[l][q][r * hidden + j] = perRow == null ? b : b + perRow[r * width + q * hidden + j];
                        }
                    }
                }
            }
            return out;
        }

        private void load() {
            for (int r = 0; r < rows.length; r++) {
                float[] state = states[rows[r]];
                for (int l = 0; l < layers; l++) {
                    input[l].write(r, ownColumn(l), state, 2 * l * hidden, hidden);
                    System.arraycopy(state, (2 * l + 1) * hidden, cell[l], r * hidden, hidden);
                }
            }
        }

        private void store() {
            for (int r = 0; r < rows.length; r++) {
                float[] state = states[rows[r]];
                for (int l = 0; l < layers; l++) {
                    input[l].read(r, ownColumn(l), state, 2 * l * hidden, hidden);
                    System.arraycopy(cell[l], r * hidden, state, (2 * l + 1) * hidden, hidden);
                }
            }
        }

        /** The column of layer l's input where its own {@code h} sits. */
        private int ownColumn(int l) {
            return l == 0 ? 0 : hidden;
        }

        /** Zeroes the state of the rows whose token at step {@code t} is the start token. */
        private void zeroStarted(int t, int active) {
            for (int r = 0; r < active; r++) {
                if (tokens[rows[r]][t] == startToken) {
                    float[] zeros = new float[hidden];
                    for (int l = 0; l < layers; l++) {
                        input[l].write(r, ownColumn(l), zeros, 0, hidden);
                        Arrays.fill(cell[l], r * hidden, (r + 1) * hidden, 0f);
                    }
                }
            }
        }

        /** Layer {@code l} at step {@code t} for the first {@code active} rows. */
        private void layer(int l, int t, int active) {
            Blas.gemm(input[l].rows(0, active), false, weights[l].all(), false, 0f, z.rows(0, active));
            for (int r = 0; r < active; r++) {
                for (int q = 0; q < 4; q++) {
                    z.read(r, q * hidden, gate[q], r * hidden, hidden);
                }
            }
            if (l == 0) {
                for (int r = 0; r < active; r++) {
                    int from = tokens[rows[r]][t] * width;
                    for (int q = 0; q < 4; q++) {
                        float[] g = gate[q];
                        int to = r * hidden;
                        int p = from + q * hidden;
                        for (int j = 0; j < hidden; j++) {
                            g[to + j] += projected[p + j];
                        }
                    }
                }
            }
            LstmCell.forward(active, hidden, ones, 0, gate, rowBias[l], cell[l], tanhC, h);
            for (int r = 0; r < active; r++) {
                input[l].write(r, ownColumn(l), h, r * hidden, hidden);
                if (l + 1 < layers) {
                    input[l + 1].write(r, 0, h, r * hidden, hidden);
                }
            }
        }

        /**
         * The head over rows {@code [from, to)} after their last read token: rows below
         * {@code active(t)} score their token at step {@code t}, the others (whose chunk ended)
         * get their distribution.
         */
        private void head(int from, int to, int t) {
            if (to <= from) {
                return;
            }
            int own = ownColumn(layers - 1);
            Blas.gemm(input[layers - 1].rows(from, to - from).columns(own, hidden), false, headWeights.all(), false, 0f,
                    logits.rows(from, to - from));
            float[] row = new float[vocab];
            float[] bias = hook == null ? headBias : new float[vocab]; // with a hook, the bias is in the row
            for (int r = from; r < to; r++) {
                logits.read(r, row, 0, vocab);
                int[] chunk = tokens[rows[r]];
                if (hook != null) {
                    for (int k = 0; k < vocab; k++) {
                        row[k] += headBias[k];
                    }
                    float[] top = new float[hidden];
                    input[layers - 1].read(r, own, top, 0, hidden);
                    hook.apply(rows[r], t, row, top);
                }
                if (t < chunk.length) {
                    logProbabilities[rows[r]][t] = (float) -FastSoftmaxHead.crossEntropy(row, bias, chunk[t]);
                } else if (best != null) {
                    best[rows[r]] = largest(row, bias);
                } else {
                    FastSoftmaxHead.softmax(row, bias, -1);
                    next[rows[r]] = row.clone();
                }
            }
        }

        /** The index of the largest {@code row + bias}, the lowest of ties. */
        private static int largest(float[] row, float[] bias) {
            int top = 0;
            float max = row[0] + bias[0];
            for (int k = 1; k < row.length; k++) {
                float v = row[k] + bias[k];
                if (v > max) {
                    max = v;
                    top = k;
                }
            }
            return top;
        }

        private void release() {
            for (int l = 0; l < layers; l++) {
                scratch.give(input[l]);
                scratch.give(cell[l]);
            }
            scratch.give(z);
            scratch.give(logits);
            for (float[] g : gate) {
                scratch.give(g);
            }
            scratch.give(tanhC);
            scratch.give(h);
        }
    }
}
