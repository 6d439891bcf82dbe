package dev.streaminglstm.core.optim;

/**
 * What one {@link Optimizer#step} did.
 *
 * @param applied whether the parameters were updated; false when the loss or the gradient norm
 *     was not finite, in which case nothing changed
 * @param gradientNorm the global L2 norm of the gradients before clipping (NaN or infinite for a
 *     skipped step with bad gradients)
 * @param clipped whether the gradients were scaled down to the clip norm
 */
public record StepReport(boolean applied, double gradientNorm, boolean clipped) {

    /** Whether the step was skipped because of a non-finite loss or gradient. */
    public boolean skipped() {
        return !applied;
    }
}
