package dev.streaminglstm.core.nn;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The whole network: embedding, stacked recurrent layers and softmax head, run over a window of
 * a batch of streams. Stateless: parameters and carried state are passed in, so one instance
 * serves any number of parameter sets and threads.
 */
public final class LanguageModel {
    private final ModelConfig config;
    private final String kernel;
    private final RecurrentLayer layer;
    private final OutputHead head;
    private final TokenStepper.Factory steppers;

    /**
     * A model on the reference layers: {@link LstmLayer} or {@link RnnLayer} as the cell type
     * says, {@link SoftmaxHead}, any data type. What the gradient checks verify.
     */
    public LanguageModel(ModelConfig config) {
        this(config, "reference", config.cellType() == CellType.LSTM ? new LstmLayer() : new RnnLayer(),
                SoftmaxHead.INSTANCE, TokenStepper.OnLanguageModel::new);
    }

    /**
     * A model on other implementations of the same functions (such as the fast float kernel):
     * {@code layer} runs every recurrent layer, {@code head} the output, {@code steppers} makes
     * the readers of single streams. Each may refuse parameters it does not run, with an
     * {@link IllegalArgumentException}.
     *
     * @param kernel the implementation's name, for messages
     */
    public LanguageModel(ModelConfig config, String kernel, RecurrentLayer layer, OutputHead head,
            TokenStepper.Factory steppers) {
        this.config = config;
        this.kernel = kernel;
        this.layer = layer;
        this.head = head;
        this.steppers = steppers;
    }

    /**
     * A reader of one stream, token by token, from a zero state: the same function as
     * {@link #feed} on a batch of one.
     *
     * @param conditioning the stream's conditioning vector, or null for unconditioned models
     * @param startToken the id that zeroes the state before it, or -1
     */
    public TokenStepper stepper(ParameterSet params, float[] conditioning, int startToken) {
        return steppers.create(this, params, conditioning, startToken);
    }

    /** The name of the implementation this model runs on, such as {@code reference} or {@code fast}. */
    public String kernel() {
        return kernel;
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * One truncated-BPTT window: forward {@code T} steps from the carried state, backward inside
     * the window only. Parameters and carried state are not modified.
     */
    public WindowResult forwardBackward(ParameterSet params, RecurrentState carried, WindowBatch batch) {
        return forwardBackward(params, carried, batch, params.zerosLike());
    }

    /**
     * As {@link #forwardBackward(ParameterSet, RecurrentState, WindowBatch)}, writing the
     * gradients into {@code grads} (zeroed first; of the parameters' shape and type), which the
     * result holds: a caller that trains window after window can keep one gradient set.
     */
    public WindowResult forwardBackward(ParameterSet params, RecurrentState carried, WindowBatch batch,
            ParameterSet grads) {
        if (!grads.config().equals(params.config()) || grads.dataType() != params.dataType()) {
            throw new IllegalArgumentException("gradients of shape " + grads.config() + " in " + grads.dataType()
                    + " for parameters of shape " + params.config() + " in " + params.dataType());
        }
        grads.asMap().values().forEach(a -> a.assign(0)); // not muli(0): NaN * 0 stays NaN
        Forward fwd = run(params, carried, batch);
        int[] targets = batch.targetsTimeMajor();
        OutputHead.Result out = head.lossAndGradient(
                params.get(ParameterNames.HEAD_WEIGHTS), params.get(ParameterNames.HEAD_BIAS),
                fwd.traces[config.layers() - 1].output(), targets,
                grads.get(ParameterNames.HEAD_WEIGHTS), grads.get(ParameterNames.HEAD_BIAS));
        INDArray dOut = out.dHidden();
        INDArray[] dh0 = new INDArray[config.layers()];
        INDArray[] dc0 = config.cellType().hasCellState() ? new INDArray[config.layers()] : null;
        RecurrentLayer.Backward back = null;
        for (int l = config.layers() - 1; l >= 0; l--) {
            back = layer.backward(LayerWeights.of(params, l), fwd.traces[l], dOut, LayerWeights.of(grads, l));
            if (l == config.layers() - 1) {
                head.release(out);
            }
            dOut = back.dInput();
            dh0[l] = back.dHidden0();
            if (dc0 != null) {
                dc0[l] = back.dCell0();
            }
        }
        INDArray dTable = grads.get(ParameterNames.EMBEDDING);
        if (back.dTable() != null) {
            dTable.addi(back.dTable());
        } else {
            Embedding.accumulateGradient(dTable, fwd.inputs, dOut);
        }
        RecurrentState next = fwd.nextState();
        fwd.release();
        return new WindowResult(out.lossNats(), targets.length, grads, next, RecurrentState.of(dh0, dc0));
    }

    /**
     * Forward only: the mean loss of the window's targets and the state to carry on.
     *
     * @return loss in nats per token and the next state
     */
    public Evaluation evaluate(ParameterSet params, RecurrentState carried, WindowBatch batch) {
        Forward fwd = run(params, carried, batch);
        double loss = head.loss(
                params.get(ParameterNames.HEAD_WEIGHTS), params.get(ParameterNames.HEAD_BIAS),
                fwd.traces[config.layers() - 1].output(), batch.targetsTimeMajor());
        RecurrentState next = fwd.nextState();
        fwd.release();
        return new Evaluation(loss, next);
    }

    /**
     * Reads {@code tokens[b]} (every one of them is an input; all rows the same length) from the
     * carried state and returns the next token's distribution after the last one,
     * {@code [B, vocab]}, and the state after it.
     *
     * @param conditioning per-stream vectors, or null for unconditioned models
     * @param startToken the id that zeroes its stream's state before it, or -1
     */
    public NextTokenDistribution feed(ParameterSet params, RecurrentState carried, int[][] tokens,
            float[][] conditioning,
            int startToken) {
        int[][] withTarget = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            withTarget[b] = java.util.Arrays.copyOf(tokens[b], tokens[b].length + 1); // unused last "target"
        }
        Forward fwd = run(params, carried, new WindowBatch(withTarget, null, conditioning, startToken));
        INDArray last = fwd.traces[config.layers() - 1].lastHidden();
        INDArray probs = head.probabilities(
                params.get(ParameterNames.HEAD_WEIGHTS), params.get(ParameterNames.HEAD_BIAS), last);
        RecurrentState next = fwd.nextState();
        fwd.release();
        return new NextTokenDistribution(probs, next);
    }

    /** A forward-only result: mean loss in nats per token and the state to carry on. */
    public record Evaluation(double lossNats, RecurrentState nextState) {}

    /** The next token's probabilities {@code [B, vocab]} after each stream's inputs, and the state after them. */
    public record NextTokenDistribution(INDArray probabilities, RecurrentState nextState) {}

    private Forward run(ParameterSet params, RecurrentState carried, WindowBatch batch) {
        DataType type = params.dataType();
        if (carried.batch() != batch.batch() || carried.layers() != config.layers()) {
            throw new IllegalArgumentException("carried state of " + carried.batch() + " streams x "
                    + carried.layers() + " layers for a batch of " + batch.batch() + " streams x "
                    + config.layers() + " layers");
        }
        int[] inputs = batch.inputsTimeMajor();
        INDArray keep = batch.keepMask(type);
        INDArray cond = batch.conditioningArray(type, config.conditioningSize());
        INDArray table = params.get(ParameterNames.EMBEDDING);
        INDArray x = Embedding.lookup(table, inputs);
        RecurrentLayer.Trace[] traces = new RecurrentLayer.Trace[config.layers()];
        for (int l = 0; l < config.layers(); l++) {
            SequenceInput in = new SequenceInput(x, keep, cond, batch.steps(), batch.batch(),
                    l == 0 ? new SequenceInput.TokenInput(table, inputs) : null);
            traces[l] = layer.forward(LayerWeights.of(params, l), in, carried.hidden(l), carried.cell(l));
            x = traces[l].output();
        }
        return new Forward(inputs, traces);
    }

    private record Forward(int[] inputs, RecurrentLayer.Trace[] traces) {
        RecurrentState nextState() {
            INDArray[] h = new INDArray[traces.length];
            INDArray[] c = traces[0].lastCell() == null ? null : new INDArray[traces.length];
            for (int l = 0; l < traces.length; l++) {
                h[l] = traces[l].lastHidden().dup();
                if (c != null) {
                    c[l] = traces[l].lastCell().dup();
                }
            }
            return RecurrentState.of(h, c);
        }

        void release() {
            for (RecurrentLayer.Trace t : traces) {
                t.release();
            }
        }
    }
}
