package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Updates a model's parameters in place from their gradients, one training step at a time.
 * Every step first measures the global gradient norm (accumulated in double); a step whose loss
 * or norm is not finite is skipped and counted, leaving parameters and optimiser state exactly
 * as they were. Otherwise gradients above the clip norm are scaled down to it (the scale is
 * folded into the update: the gradient arrays are only read) and the rule's update is applied.
 *
 * <p>Each step costs a handful of whole-array ND4J operations per parameter array, in place.
 * The moments keep the parameters' data type. Not thread-safe.
 */
public abstract class Optimizer {
    private final OptimizerConfig config;
    private long stepsApplied;
    private long stepsSkipped;
    private double learningRateScale = 1.0;

    Optimizer(OptimizerConfig config, long stepsApplied, long stepsSkipped) {
        this.config = config;
        this.stepsApplied = stepsApplied;
        this.stepsSkipped = stepsSkipped;
    }

    /** A fresh optimiser (zero moments) for parameters of the given shape and type. */
    public static Optimizer create(OptimizerConfig config, ModelConfig model, DataType dataType) {
        Map<String, ParameterSet> moments = new LinkedHashMap<>();
        for (String name : config.kind().momentNames()) {
            moments.put(name, ParameterSet.zeros(model, dataType));
        }
        return restore(config, new OptimizerState(config.kind(), 0, 0, moments));
    }

    /**
     * An optimiser that continues from an exported state (the state's arrays are copied, not shared).
     *
     * @throws IllegalArgumentException if the state belongs to another kind of optimiser
     */
    public static Optimizer restore(OptimizerConfig config, OptimizerState state) {
        if (state.kind() != config.kind()) {
            throw new IllegalArgumentException(
                    "state of a " + state.kind() + " optimiser cannot restore a " + config.kind() + " optimiser");
        }
        Map<String, ParameterSet> m = new LinkedHashMap<>();
        state.moments().forEach((name, moment) -> m.put(name, moment.copy()));
        return switch (config.kind()) {
            case SGD -> new SgdOptimizer(config, state.stepsApplied(), state.stepsSkipped());
            case ADAGRAD -> new AdagradOptimizer(config, state.stepsApplied(), state.stepsSkipped(), m.get("memory"));
            case ADAM -> new AdamOptimizer(config, state.stepsApplied(), state.stepsSkipped(), m.get("m"), m.get("v"));
        };
    }

    public OptimizerConfig config() {
        return config;
    }

    /**
     * Scales the configured step size by {@code factor} (a schedule's, for the coming steps) until the next call;
     * not part of the exported state: a schedule derives it from {@link #stepsApplied()}.
     */
    public void scaleLearningRate(double factor) {
        if (!(factor > 0) || !Double.isFinite(factor)) {
            throw new IllegalArgumentException("learning-rate factor must be finite and positive, was " + factor);
        }
        this.learningRateScale = factor;
    }

    /** The step size of the next step: the configured one times the schedule's factor. */
    double learningRate() {
        return config.learningRate() * learningRateScale;
    }

    /** Steps that updated the parameters. */
    public long stepsApplied() {
        return stepsApplied;
    }

    /** Steps skipped for a non-finite loss or gradient. */
    public long stepsSkipped() {
        return stepsSkipped;
    }

    /**
     * One training step: updates {@code params} in place unless the loss or the gradients are
     * not finite.
     *
     * @param params the parameters, updated in place
     * @param gradients gradients of the loss with respect to {@code params}; not modified
     * @param loss the loss the gradients belong to
     * @throws IllegalArgumentException if params, gradients and moments differ in shape or type
     *     (checked before anything changes)
     */
    public final StepReport step(ParameterSet params, ParameterSet gradients, double loss) {
        requireCompatible(params, gradients, "gradients");
        for (Map.Entry<String, ParameterSet> e : moments().entrySet()) {
            requireCompatible(params, e.getValue(), "moment '" + e.getKey() + "'");
        }
        double norm = GradientNorm.of(gradients);
        if (!Double.isFinite(loss) || !Double.isFinite(norm)) {
            stepsSkipped++;
            return new StepReport(false, norm, false);
        }
        boolean clip = config.clips() && norm > config.clipNorm();
        double scale = clip ? config.clipNorm() / norm : 1.0;
        stepsApplied++;
        update(params, gradients, scale, stepsApplied);
        return new StepReport(true, norm, clip);
    }

    /** A deep copy of everything this optimiser carries between steps. */
    public OptimizerState exportState() {
        Map<String, ParameterSet> copies = new LinkedHashMap<>();
        moments().forEach((name, moment) -> copies.put(name, moment.copy()));
        return new OptimizerState(config.kind(), stepsApplied, stepsSkipped, copies);
    }

    /**
     * Applies the rule in place with gradients {@code gradientScale * gradients}.
     *
     * @param t the number of this step among applied steps, from 1
     */
    abstract void update(ParameterSet params, ParameterSet gradients, double gradientScale, long t);

    /** The live moment arrays by name, in {@link OptimizerKind#momentNames()} order. */
    abstract Map<String, ParameterSet> moments();

    private static void requireCompatible(ParameterSet params, ParameterSet other, String what) {
        if (!params.config().equals(other.config())) {
            throw new IllegalArgumentException(
                    what + " are of shape " + other.config() + " but the parameters of " + params.config());
        }
        if (params.dataType() != other.dataType()) {
            throw new IllegalArgumentException(
                    what + " are " + other.dataType() + " but the parameters are " + params.dataType());
        }
    }
}
