package dev.streaminglstm.core.optim;

import java.io.Serializable;

/**
 * A factor on the step size by optimiser step {@code t} (from 1): a linear warm-up over the first
 * {@code warmupSteps}, then {@code 1 / sqrt(1 + (t - warmupSteps) / decaySteps)} (no decay for
 * {@code decaySteps} 0), never below {@code floor}. All zero: the constant step size.
 *
 * @param warmupSteps steps of linear warm-up, 0 for none
 * @param decaySteps the inverse-square-root decay's time scale in steps, 0 for none
 * @param floor the smallest factor after the warm-up, in (0, 1]
 */
public record LearningRateSchedule(long warmupSteps, long decaySteps, double floor) implements Serializable {
    public static final LearningRateSchedule CONSTANT = new LearningRateSchedule(0, 0, 1);

    public LearningRateSchedule {
        if (warmupSteps < 0 || decaySteps < 0) {
            throw new IllegalArgumentException("warm-up and decay steps must not be negative");
        }
        if (!(floor > 0 && floor <= 1)) {
            throw new IllegalArgumentException("floor must be in (0, 1], was " + floor);
        }
    }

    /** The factor of step {@code t}, counted from 1. */
    public double factor(long t) {
        if (t <= warmupSteps) {
            return (double) t / warmupSteps;
        }
        if (decaySteps == 0) {
            return 1;
        }
        return Math.max(floor, 1 / Math.sqrt(1 + (double) (t - warmupSteps) / decaySteps));
    }
}
