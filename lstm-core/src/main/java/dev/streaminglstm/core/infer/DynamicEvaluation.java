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
 *   <li>{@link Method#HEAD}: a per-document {@link HeadCorrection} of the softmax layer, {@code dW [V][H]} and
 *       {@code db [V]}, one SGD step on the summed {@code -ln p(y)} of each window of {@code window} bytes after they
 *       were scored (the inference operator's {@code --adapt-head-rate} steps once a chunk);</li>
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
     * @param window bytes per SGD step
     * @throws IllegalArgumentException for a rate not above 0 (HEAD, FULL), a window below 1, a conditioned model or
     *     no bytes at all
     */
    public static Result run(ServableModel model, List<byte[]> documents, Method method, double rate, int window) {
        return run(model, documents, method, rate, window, model.config().hiddenSize());
    }

    /**
     * As {@link #run(ServableModel, List, Method, double, int)}, with {@link Method#HEAD}'s correction on the first
     * {@code headUnits} values of the top layer's output.
     *
     * @throws IllegalArgumentException also for {@code headUnits} outside 1 to the hidden size
     */
    public static Result run(ServableModel model, List<byte[]> documents, Method method, double rate, int window,
            int headUnits) {
        if (headUnits < 1 || headUnits > model.config().hiddenSize()) {
            throw new IllegalArgumentException("the head's units must be 1 to the hidden size "
                    + model.config().hiddenSize() + ", was " + headUnits);
        }
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
                case NONE -> none(model, ids);
                case HEAD -> head(model, ids, rate, window, headUnits);
                case FULL -> full(model, ids, rate, window);
            };
            tokens += ids.length - 1;
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no bytes to score");
        }
        return new Result(method, method == Method.NONE ? 0 : rate, bits, tokens, System.nanoTime() - start);
    }

    /** A document read byte by byte by the model as it is. */
    private static double none(ServableModel model, int[] ids) {
        InferenceSession session = model.session(null);
        float[] p = session.feed(ids[0]);
        double bits = 0;
        for (int t = 1; t < ids.length; t++) {
            bits += CodeLength.bits(p[ids[t]]);
            p = session.feed(ids[t]);
        }
        return bits;
    }

    /**
     * A document read by the model as it is, its distributions corrected by a {@link HeadCorrection} that takes
     * one step per window of bytes after scoring them.
     */
    private static double head(ServableModel model, int[] ids, double rate, int window, int units) {
        int n = ids.length - 1;
        HeadCorrection correction = HeadCorrection.zero(units, model.config().vocabSize());
        InferenceSession session = model.session(null);
        session.feed(ids[0]);
        double bits = 0;
        for (int from = 0; from < n; from += window) {
            int[] targets = Arrays.copyOfRange(ids, from + 1, Math.min(n, from + window) + 1);
            float[] lnP = new float[targets.length];
            correction.read(session, model.config(), targets, 0, 0, (float) rate, lnP);
            for (float ln : lnP) {
                bits += CodeLength.bitsOfLn(ln);
            }
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
}
