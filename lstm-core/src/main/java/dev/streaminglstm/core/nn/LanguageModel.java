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
    private final RecurrentLayer layer;
    private final OutputHead head;
    private final TokenStepper.Factory steppers;

    /** A model on the reference layers (any data type; the ones the gradient checks verify). */
    public LanguageModel(ModelConfig config) {
        this(config, new LstmLayer(), SoftmaxHead.INSTANCE, null);
    }

    /**
     * A model whose LSTM layers run on {@code lstm} and whose head is {@code head}: other
     * implementations of the same functions (such as the fast float kernel); RNN models run on
     * the reference RNN layer.
     */
    public LanguageModel(ModelConfig config, RecurrentLayer lstm, OutputHead head) {
        this(config, lstm, head, null);
    }

    /**
     * As {@link #LanguageModel(ModelConfig, RecurrentLayer, OutputHead)}, reading single streams
     * with the steppers {@code steppers} makes where it makes one (else with {@link #feed}).
     */
    public LanguageModel(ModelConfig config, RecurrentLayer lstm, OutputHead head, TokenStepper.Factory steppers) {
        this.config = config;
        this.layer = config.cellType() == CellType.LSTM ? lstm : new RnnLayer();
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
        TokenStepper s = steppers == null ? null : steppers.create(config, params, conditioning, startToken);
        return s != null ? s : new TokenStepper.OnLanguageModel(this, params, conditioning, startToken);
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * One truncated-BPTT window: forward {@code T} steps from the carried state, backward inside
     * the window only. Parameters and carried state are not modified.
     */
    public WindowResult forwardBackward(ParameterSet params, RecurrentState carried, WindowBatch batch) {
        Forward fwd = run(params, carried, batch);
        ParameterSet grads = params.zerosLike();
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
        return new WindowResult(out.lossNats(), targets.length, grads, fwd.nextState(), RecurrentState.of(dh0, dc0));
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
        return new Evaluation(loss, fwd.nextState());
    }

    /**
     * Reads {@code tokens[b]} (every one of them is an input; all rows the same length) from the
     * carried state and returns the next token's distribution after the last one,
     * {@code [B, vocab]}, and the state after it.
     *
     * @param conditioning per-stream vectors, or null for unconditioned models
     * @param startToken the id that zeroes its stream's state before it, or -1
     */
    public Prediction feed(ParameterSet params, RecurrentState carried, int[][] tokens, float[][] conditioning,
            int startToken) {
        int[][] withTarget = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++) {
            withTarget[b] = java.util.Arrays.copyOf(tokens[b], tokens[b].length + 1); // unused last "target"
        }
        Forward fwd = run(params, carried, new WindowBatch(withTarget, null, conditioning, startToken));
        INDArray last = fwd.traces[config.layers() - 1].lastHidden();
        INDArray probs = head.probabilities(
                params.get(ParameterNames.HEAD_WEIGHTS), params.get(ParameterNames.HEAD_BIAS), last);
        return new Prediction(probs, fwd.nextState());
    }

    /** A forward-only result: mean loss in nats per token and the state to carry on. */
    public record Evaluation(double lossNats, RecurrentState nextState) {}

    /** Next-token probabilities {@code [B, vocab]} and the state after the inputs. */
    public record Prediction(INDArray probabilities, RecurrentState nextState) {}

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
    }
}
