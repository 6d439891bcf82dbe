package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The linear head with softmax cross-entropy, over all positions of a window at once:
 * {@code logits = H W + b}, loss = mean over positions of {@code -log softmax(logits)[target]}.
 * {@link SoftmaxHead} is the reference for any data type; the kernel package has a fast one for
 * FLOAT.
 */
public interface OutputHead {

    /**
     * Loss and the gradient of the hidden rows.
     *
     * @param lossNats mean cross-entropy in nats per position
     * @param dHidden gradient of the mean loss with respect to the hidden rows
     */
    record Result(double lossNats, INDArray dHidden) {}

    /**
     * Mean cross-entropy of {@code targets} under the softmax of {@code hidden W + b}; adds the
     * weight and bias gradients into {@code gradWeights} and {@code gradBias}.
     */
    Result lossAndGradient(INDArray weights, INDArray bias, INDArray hidden, int[] targets, INDArray gradWeights,
            INDArray gradBias);

    /** Mean cross-entropy in nats of {@code targets} under the softmax of {@code hidden W + b}. */
    double loss(INDArray weights, INDArray bias, INDArray hidden, int[] targets);

    /** Softmax probabilities {@code [rows, vocab]} of the hidden rows, a new array. */
    INDArray probabilities(INDArray weights, INDArray bias, INDArray hidden);

    /** Says that nothing will read {@code result.dHidden()} again: an implementation may reuse its memory. */
    default void release(Result result) {}
}
