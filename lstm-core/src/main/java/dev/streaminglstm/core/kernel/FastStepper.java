package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.Embedding;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.TokenStepper;
import java.util.Arrays;

/**
 * One stream of an LSTM model with FLOAT parameters, read token by token: the function of
 * {@link LanguageModel#feed} for a batch of one, in a handful of BLAS calls per token and no ND4J
 * operation. Per token and layer: {@code x Wx} and {@code h Wh} as two {@code sgemv} on the
 * parameters' native memory (the input of the first layer is the embedding row itself), the gates
 * in the Java loops of {@link LstmCell}; after the last token, the head as one more {@code sgemv}
 * and a softmax. The state lives in a few small preallocated buffers.
 *
 * <p>It reads the parameter arrays in place, so they must not change while it is used.
 */
final class FastStepper implements TokenStepper {
    private static final float[] KEEP = {1f};

    private final int layers;
    private final int hidden;
    private final int startToken;
    private final NativeMatrix table;
    private final NativeMatrix[] inputWeights;
    private final NativeMatrix[] recurrentWeights;
    /** Per layer and gate, {@code b + v Wv} (or {@code b}), {@code [4][hidden]}. */
    private final float[][][] bias;
    private final NativeMatrix headWeights;
    private final float[] headBias;

    /** {@code h} of every layer, one row each: the recurrent product's input and the next layer's. */
    private final NativeMatrix[] h;
    private final float[][] c;
    private final NativeMatrix z;
    private final NativeMatrix logits;
    private final float[][] gate;
    private final float[] tanhC;
    private final float[] hRow;
    /** The distribution after each token but the last of a scored chunk, {@code [vocab]}. */
    private final float[] scoredRow;

    private FastStepper(ModelConfig config, ParameterSet params, float[] conditioning, int startToken) {
        this.layers = config.layers();
        this.hidden = config.hiddenSize();
        this.startToken = startToken;
        int width = config.gateWidth();
        this.table = NativeMatrix.of(params.get(ParameterNames.EMBEDDING));
        this.inputWeights = new NativeMatrix[layers];
        this.recurrentWeights = new NativeMatrix[layers];
        this.bias = new float[layers][4][hidden];
        for (int l = 0; l < layers; l++) {
            inputWeights[l] = NativeMatrix.of(params.get(ParameterNames.inputWeights(l)));
            recurrentWeights[l] = NativeMatrix.of(params.get(ParameterNames.recurrentWeights(l)));
            float[] b = NativeMatrix.of(params.get(ParameterNames.bias(l))).toHeap();
            if (conditioning != null) {
                NativeMatrix v = NativeMatrix.of(conditioning, 1, conditioning.length);
                NativeMatrix vw = NativeMatrix.uninitialized(1, width);
                Blas.gemv(NativeMatrix.of(params.get(ParameterNames.conditioningWeights(l))).all(), true, v.all(),
                        0f, vw.all());
                float[] add = vw.toHeap();
                for (int k = 0; k < width; k++) {
                    b[k] += add[k];
                }
            }
            for (int q = 0; q < 4; q++) {
                System.arraycopy(b, q * hidden, bias[l][q], 0, hidden);
            }
        }
        this.headWeights = NativeMatrix.of(params.get(ParameterNames.HEAD_WEIGHTS));
        this.headBias = NativeMatrix.of(params.get(ParameterNames.HEAD_BIAS)).toHeap();
        this.h = new NativeMatrix[layers];
        this.c = new float[layers][hidden];
        for (int l = 0; l < layers; l++) {
            h[l] = NativeMatrix.of(new float[hidden], 1, hidden);
        }
        this.z = NativeMatrix.uninitialized(1, width);
        this.logits = NativeMatrix.uninitialized(1, config.vocabSize());
        this.gate = new float[4][hidden];
        this.tanhC = new float[hidden];
        this.hRow = new float[hidden];
        this.scoredRow = new float[config.vocabSize()];
    }

    /**
     * The stepper of one stream of {@code model} ({@link TokenStepper.Factory}).
     *
     * @throws IllegalArgumentException for parameters the fast kernel does not run, of another
     *     shape than the model's, or conditioning that does not fit the model
     */
    static TokenStepper create(LanguageModel model, ParameterSet params, float[] conditioning, int startToken) {
        ModelConfig config = model.config();
        Kernel.FAST.require(params, "the fast stepper");
        if (!params.config().equals(config)) {
            throw new IllegalArgumentException("parameters of shape " + params.config() + " for a model of shape "
                    + config);
        }
        requireConditioning(config, conditioning);
        return new FastStepper(config, params, conditioning, startToken);
    }

    /** Checks that a stream's conditioning vector fits the model (null for an unconditioned one). */
    static void requireConditioning(ModelConfig config, float[] conditioning) {
        if ((conditioning == null) != (config.conditioningSize() == 0)
                || (conditioning != null && conditioning.length != config.conditioningSize())) {
            throw new IllegalArgumentException("the model is conditioned on vectors of " + config.conditioningSize()
                    + " values, the stream has " + (conditioning == null ? "none" : conditioning.length));
        }
    }

    @Override
    public float[] feed(int[] tokens) {
        return feed(tokens, null);
    }

    /** With a scorer, one head (a {@code sgemv} and a softmax into one reused row) per token: prequential scoring. */
    @Override
    public float[] feed(int[] tokens, Scorer scorer) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("nothing to feed");
        }
        Embedding.requireIds(tokens, table.rows());
        for (int t = 0; t + 1 < tokens.length; t++) {
            step(tokens[t]);
            if (scorer != null) {
                scorer.score(tokens[t + 1], head(scoredRow));
            }
        }
        step(tokens[tokens.length - 1]);
        return head(new float[headBias.length]);
    }

    @Override
    public float[] distribution() {
        return head(new float[headBias.length]);
    }

    /** The next token's distribution from the last layer's h, into {@code p} ({@code [vocab]}). */
    private float[] head(float[] p) {
        Blas.gemv(headWeights.all(), true, h[layers - 1].all(), 0f, logits.all());
        logits.read(0, p, 0, p.length);
        FastSoftmaxHead.softmax(p, headBias, -1);
        return p;
    }

    private void step(int token) {
        if (token == startToken) {
            zeroState();
        }
        for (int l = 0; l < layers; l++) {
            NativeMatrix.Block input = l == 0 ? table.rows(token, 1) : h[l - 1].all();
            Blas.gemv(inputWeights[l].all(), true, input, 0f, z.all());
            Blas.gemv(recurrentWeights[l].all(), true, h[l].all(), 1f, z.all());
            for (int q = 0; q < 4; q++) {
                z.read(0, q * hidden, gate[q], 0, hidden);
            }
            LstmCell.forward(1, hidden, KEEP, 0, gate, bias[l], c[l], tanhC, hRow);
            h[l].write(0, hRow, 0, hidden);
        }
    }

    private void zeroState() {
        Arrays.fill(hRow, 0f);
        for (int l = 0; l < layers; l++) {
            h[l].write(0, hRow, 0, hidden);
            Arrays.fill(c[l], 0f);
        }
    }

    @Override
    public float[] flatState() {
        float[] out = new float[layers * 2 * hidden];
        for (int l = 0; l < layers; l++) {
            h[l].read(0, out, 2 * l * hidden, hidden);
            System.arraycopy(c[l], 0, out, (2 * l + 1) * hidden, hidden);
        }
        return out;
    }

    @Override
    public void setFlatState(float[] state) {
        if (state.length != layers * 2 * hidden) {
            throw new IllegalArgumentException("stream state of " + state.length + " floats, expected "
                    + layers * 2 * hidden + " (see RecurrentState#row)");
        }
        for (int l = 0; l < layers; l++) {
            h[l].write(0, state, 2 * l * hidden, hidden);
            System.arraycopy(state, (2 * l + 1) * hidden, c[l], 0, hidden);
        }
    }
}
