package dev.streaminglstm.core.train;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.nn.WindowResult;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.StepReport;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * Truncated-BPTT training: for each batch of windows, forward and backward from the carried
 * states, one optimiser step on the parameters (in place), and the states to carry on. Counts
 * windows, tokens and skipped steps. A step with a non-finite loss or gradient is skipped by
 * the optimiser, and any non-finite carried value is zeroed so that no stream carries it on.
 * Not thread-safe.
 */
public final class Trainer {
    private final LanguageModel model;
    private final ParameterSet params;
    private final Optimizer optimizer;
    /** The gradients of the latest window; kept, since allocating them cost a fifth of a step at batch 1. */
    private final ParameterSet gradients;
    private long windows;
    private long tokens;
    private long resetStates;

    public Trainer(LanguageModel model, ParameterSet params, Optimizer optimizer) {
        if (!model.config().equals(params.config())) {
            throw new IllegalArgumentException("parameters of shape " + params.config() + " for a model of shape "
                    + model.config());
        }
        this.model = model;
        this.params = params;
        this.optimizer = optimizer;
        this.gradients = params.zerosLike();
    }

    /**
     * The outcome of one batch.
     *
     * @param lossNats mean loss per token of the batch before the update, in nats
     * @param tokens predicted tokens in the batch
     * @param report what the optimiser did
     * @param nextState the states to carry into each stream's next window
     */
    public record Step(double lossNats, int tokens, StepReport report, RecurrentState nextState) {
        public double lossBits() {
            return lossNats / Math.log(2);
        }
    }

    /** Trains on one batch of windows from their carried states. */
    public Step train(RecurrentState carried, WindowBatch batch) {
        WindowResult result = model.forwardBackward(params, carried, batch, gradients);
        StepReport report = optimizer.step(params, result.gradients(), result.lossNats());
        RecurrentState next = result.nextState();
        if (report.skipped()) {
            resetStates += zeroNonFinite(next);
        }
        windows += batch.batch();
        tokens += result.tokens();
        return new Step(result.lossNats(), result.tokens(), report, next);
    }

    public ParameterSet parameters() {
        return params;
    }

    public Optimizer optimizer() {
        return optimizer;
    }

    public LanguageModel model() {
        return model;
    }

    /** Windows trained, skipped steps included. */
    public long windowsTrained() {
        return windows;
    }

    /** Tokens trained, skipped steps included. */
    public long tokensTrained() {
        return tokens;
    }

    /** Carried-state arrays that held non-finite values and were zeroed. */
    public long statesReset() {
        return resetStates;
    }

    private static int zeroNonFinite(RecurrentState state) {
        int fixed = 0;
        for (int l = 0; l < state.layers(); l++) {
            fixed += zeroNonFinite(state.hidden(l));
            if (state.hasCell()) {
                fixed += zeroNonFinite(state.cell(l));
            }
        }
        return fixed;
    }

    private static int zeroNonFinite(INDArray a) {
        if (Double.isFinite(a.sumNumber().doubleValue())) {
            return 0;
        }
        BooleanIndexing.replaceWhere(a, 0.0, Conditions.isNan());
        BooleanIndexing.replaceWhere(a, 0.0, Conditions.isInfinite());
        return 1;
    }
}
