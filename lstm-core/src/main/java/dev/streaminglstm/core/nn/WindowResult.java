package dev.streaminglstm.core.nn;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;

/**
 * What one truncated-BPTT window gives back.
 *
 * @param lossNats mean cross-entropy per predicted token, in nats
 * @param tokens number of predicted tokens (B * T)
 * @param gradients gradient of the mean loss for every parameter
 * @param nextState the state to carry into each stream's next window
 * @param initialStateGradient gradient of the mean loss with respect to the carried state
 *     (it is not propagated further back: that is the truncation)
 */
public record WindowResult(
        double lossNats, int tokens, ParameterSet gradients, RecurrentState nextState, RecurrentState initialStateGradient) {

    /** The loss in bits per token. */
    public double lossBits() {
        return lossNats / Math.log(2);
    }
}
