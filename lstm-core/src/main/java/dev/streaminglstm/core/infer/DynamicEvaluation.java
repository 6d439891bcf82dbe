package dev.streaminglstm.core.infer;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.util.Arrays;
import java.util.List;

/**
 * Dynamic evaluation (Krause et al. 2018) of a stored model on documents: the prequential bits of each document
 * when the model also adapts to it as it reads it, every byte scored before anything learns from it, the adaptation
 * reset with the document (as a stream's would be). It measures the lever before the inference operator carries it.
 * <ul>
 *   <li>{@link Method#NONE}: the model as it is, the bits {@code eval} gives;</li>
 *   <li>{@link Method#HEAD}: a per-document correction of the softmax layer, {@code dW [V][H]} and {@code db [V]},
 *       one SGD step on {@code -ln p(y)} after every byte;</li>
 *   <li>{@link Method#FULL}: a per-document copy of every weight, one SGD step (clip 5) on each window of
 *       {@code window} bytes after it was scored, the (h, c) carried on.</li>
 * </ul>
 */
public final class DynamicEvaluation {

    /** What adapts to the document. */
    public enum Method { NONE, HEAD, FULL }

    /**
     * One method's figures over all documents.
     *
     * @param bits total {@code -log2 p} of every byte scored
     * @param tokens bytes scored
     * @param nanos time spent, one thread
     */
    public record Result(Method method, double rate, double bits, long tokens, long nanos) {
        public double bpc() {
            return bits / tokens;
        }

        public double tokensPerSecond() {
            return tokens / (nanos / 1e9);
        }
    }

    private static final double CLIP_NORM = 5.0;

    private DynamicEvaluation() {}

    /**
     * Scores every byte of each document (after its {@code <start>}) with {@code method}.
     *
     * @param documents each document's bytes
     * @param rate the SGD step size; ignored for {@link Method#NONE}
     * @param window bytes per SGD step for {@link Method#FULL}
     * @throws IllegalArgumentException for a rate not above 0 (HEAD, FULL), a window below 1, a conditioned model or
     *     no bytes at all
     */
    public static Result run(ServableModel model, List<byte[]> documents, Method method, double rate, int window) {
        if (method != Method.NONE && !(rate > 0 && Double.isFinite(rate))) {
            throw new IllegalArgumentException("the rate of " + method + " must be above 0, was " + rate);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, was " + window);
        }
        if (model.config().conditioned()) {
            throw new IllegalArgumentException("a conditioned model reads a vector with its text; documents have none");
        }
        long start = System.nanoTime();
        double bits = 0;
        long tokens = 0;
        for (byte[] document : documents) {
            int[] ids = ByteVocabulary.startThenBytes(document);
            bits += switch (method) {
                case NONE -> stepped(model, ids, null);
                case HEAD -> stepped(model, ids, new HeadAdaptation(model.config(), rate));
                case FULL -> full(model, ids, rate, window);
            };
            tokens += ids.length - 1;
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no bytes to score");
        }
        return new Result(method, method == Method.NONE ? 0 : rate, bits, tokens, System.nanoTime() - start);
    }

    /** A document read byte by byte; {@code head} (null: none) corrects each distribution, then learns. */
    private static double stepped(ServableModel model, int[] ids, HeadAdaptation head) {
        InferenceSession session = model.session(null);
        float[] p = session.feed(ids[0]);
        double bits = 0;
        for (int t = 1; t < ids.length; t++) {
            int y = ids[t];
            if (head == null) {
                bits += CodeLength.bits(p[y]);
            } else {
                float[] h = RecurrentState.topHidden(model.config(), session.flatState());
                float[] adapted = head.distribution(p, h);
                bits += CodeLength.bits(adapted[y]);
                head.learn(adapted, y, h);
            }
            p = session.feed(y);
        }
        return bits;
    }

    /** A document read window by window by its own copy of the weights, each window scored before its step. */
    private static double full(ServableModel model, int[] ids, double rate, int window) {
        ParameterSet params = model.parameters().copy();
        ModelConfig config = model.config();
        var type = params.get(params.names().get(0)).dataType();
        Trainer trainer = new Trainer(model.model(), params,
                Optimizer.create(OptimizerConfig.sgd(rate, CLIP_NORM), config, type));
        RecurrentState state = RecurrentState.zeros(config, 1, type);
        double bits = 0;
        for (int from = 0; from + 1 < ids.length; from += window) {
            int to = Math.min(ids.length - 1, from + window);
            // [T + 1] tokens: inputs from..to-1, targets from+1..to
            WindowBatch batch = WindowBatch.of(ByteVocabulary.START, Arrays.copyOfRange(ids, from, to + 1));
            Trainer.Step step = trainer.train(state, batch);
            bits += step.lossBits() * step.tokens(); // the loss before the step: prequential
            state = step.nextState();
        }
        return bits;
    }

    /**
     * One document's correction of the softmax layer: {@code logits' = logits + dW h + db}, with {@code h} the top
     * layer's output, learnt by SGD on {@code -ln p'(y)}, whose gradient is {@code (p' - onehot(y))} times
     * {@code [h; 1]}.
     */
    static final class HeadAdaptation {
        private final int hidden;
        private final float rate;
        final float[][] dW; // [V][H]
        final float[] db;   // [V]

        HeadAdaptation(ModelConfig config, double rate) {
            this.hidden = config.hiddenSize();
            this.rate = (float) rate;
            this.dW = new float[config.vocabSize()][hidden];
            this.db = new float[config.vocabSize()];
        }

        /** {@code softmax(ln p + dW h + db)}: the model's distribution {@code p} corrected. */
        float[] distribution(float[] p, float[] h) {
            double[] z = new double[p.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < p.length; v++) {
                z[v] = Math.log(Math.max(p[v], Float.MIN_VALUE)) + db[v] + dot(dW[v], h);
                max = Math.max(max, z[v]);
            }
            double sum = 0;
            for (int v = 0; v < p.length; v++) {
                z[v] = Math.exp(z[v] - max);
                sum += z[v];
            }
            float[] out = new float[p.length];
            for (int v = 0; v < p.length; v++) {
                out[v] = (float) (z[v] / sum);
            }
            return out;
        }

        /** One SGD step on {@code -ln adapted[y]}: {@code d(-ln p'(y))/d logit'_v = p'_v - [v = y]}. */
        void learn(float[] adapted, int y, float[] h) {
            for (int v = 0; v < adapted.length; v++) {
                float step = rate * ((v == y ? 1f : 0f) - adapted[v]); // -rate * gradient
                db[v] += step;
                float[] w = dW[v];
                for (int j = 0; j < hidden; j++) {
                    w[j] += step * h[j];
                }
            }
        }

        private static double dot(float[] a, float[] b) {
            double sum = 0;
            for (int j = 0; j < a.length; j++) {
                sum += a[j] * b[j];
            }
            return sum;
        }
    }
}
