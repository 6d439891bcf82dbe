package dev.streaminglstm.job.merging;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.training.ParameterDelta;

/**
 * The one global model and what was trained into it: the training subtasks' deltas added in, each scaled by
 * 1 / training parallelism (model averaging). A delta of the wrong size or holding a non-finite value is
 * rejected, so the global model stays finite. Not thread-safe.
 */
public final class GlobalModel {
    private final ModelConfig config;
    private final ParameterSet parameters;
    private long tokens;
    private long windows;
    private long skippedSteps;
    private double recentLossBpc;
    private TrainedLoss trainedLoss;
    private boolean changed;

    /**
     * @param recentLossBpc the moving average of the training loss so far, NaN for none
     * @param trainedLoss the training loss of the tokens trained in so far
     * @param changed whether the model moved since the last version written
     */
    public GlobalModel(ModelConfig config, ParameterSet parameters, long tokens, long windows, long skippedSteps,
            double recentLossBpc, TrainedLoss trainedLoss, boolean changed) {
        this.config = config;
        this.parameters = parameters;
        this.tokens = tokens;
        this.windows = windows;
        this.skippedSteps = skippedSteps;
        this.recentLossBpc = recentLossBpc;
        this.trainedLoss = trainedLoss;
        this.changed = changed;
    }

    /**
     * Adds {@code delta} in, averaged over {@code parallelism} replicas.
     *
     * @return null if it was added, else why it was rejected
     */
    public String add(ParameterDelta delta, int parallelism) {
        if (delta.delta == null || delta.delta.length != parameters.size()) {
            return "wrong size";
        }
        for (float v : delta.delta) {
            if (!Float.isFinite(v)) {
                return "not finite";
            }
        }
        parameters.addFlat(delta.delta, parallelism > 1 ? 1.0 / parallelism : 1);
        tokens += delta.tokens;
        windows += delta.windows;
        skippedSteps += delta.skippedSteps;
        if (delta.tokens > 0) {
            double bpc = delta.lossNats / delta.tokens / Math.log(2);
            recentLossBpc = Double.isNaN(recentLossBpc) ? bpc : 0.7 * recentLossBpc + 0.3 * bpc;
        }
        trainedLoss = trainedLoss.plus(delta.lossNats, delta.tokens);
        changed = true;
        return null;
    }

    /** Marks the model as written: it has not changed since. */
    public void written() {
        changed = false;
    }

    public boolean changed() {
        return changed;
    }

    public ModelConfig config() {
        return config;
    }

    /** The parameters (live: they change as deltas are added). */
    public ParameterSet parameters() {
        return parameters;
    }

    public long tokens() {
        return tokens;
    }

    public long windows() {
        return windows;
    }

    public long skippedSteps() {
        return skippedSteps;
    }

    /** A moving average of the training loss the deltas reported, in bits per token; NaN before any. */
    public double recentLossBpc() {
        return recentLossBpc;
    }

    /** The training loss of every token trained in, each taken before its step. */
    public TrainedLoss trainedLoss() {
        return trainedLoss;
    }
}
