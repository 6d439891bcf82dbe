package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Linear head and softmax cross-entropy over all positions of a window at once:
 * {@code logits = H W + b}, loss = mean over positions of {@code -log softmax(logits)[target]}.
 */
public final class SoftmaxHead {
    private SoftmaxHead() {}

    /**
     * Loss and gradients.
     *
     * @param lossNats mean cross-entropy in nats per position
     * @param dHidden gradient of the mean loss with respect to the hidden rows
     */
    public record Result(double lossNats, INDArray dHidden) {}

    /** Softmax probabilities {@code [rows, vocab]} of the hidden rows. */
    public static INDArray probabilities(INDArray weights, INDArray bias, INDArray hidden) {
        INDArray p = hidden.mmul(weights).addiRowVector(bias);
        return softmaxInPlace(p);
    }

    /**
     * Mean cross-entropy of {@code targets} under the softmax of {@code hidden W + b}; adds the
     * weight and bias gradients into {@code gradWeights} and {@code gradBias}.
     */
    public static Result lossAndGradient(
            INDArray weights, INDArray bias, INDArray hidden, int[] targets, INDArray gradWeights, INDArray gradBias) {
        int n = targets.length;
        INDArray logits = hidden.mmul(weights).addiRowVector(bias);
        logits.subiColumnVector(logits.max(true, 1));
        INDArray oneHot = Embedding.oneHot(targets, (int) weights.columns(), logits.dataType());
        double picked = logits.mul(oneHot).sumNumber().doubleValue();
        Transforms.exp(logits, false);
        INDArray sums = logits.sum(true, 1);
        double logSumExp = Transforms.log(sums, true).sumNumber().doubleValue();
        double loss = (logSumExp - picked) / n;
        // dLogits = (softmax - onehot) / n
        INDArray dLogits = logits.diviColumnVector(sums).subi(oneHot).divi(n);
        Nd4j.gemm(hidden, dLogits, gradWeights, true, false, 1.0, 1.0);
        gradBias.addi(dLogits.sum(true, 0));
        INDArray dHidden = Nd4j.create(hidden.dataType(), hidden.rows(), hidden.columns());
        Nd4j.gemm(dLogits, weights, dHidden, false, true, 1.0, 0.0);
        return new Result(loss, dHidden);
    }

    /** Mean cross-entropy in nats of {@code targets} under the softmax of {@code hidden W + b}. */
    public static double loss(INDArray weights, INDArray bias, INDArray hidden, int[] targets) {
        INDArray logits = hidden.mmul(weights).addiRowVector(bias);
        logits.subiColumnVector(logits.max(true, 1));
        INDArray oneHot = Embedding.oneHot(targets, (int) weights.columns(), logits.dataType());
        double picked = logits.mul(oneHot).sumNumber().doubleValue();
        double logSumExp = Transforms.log(Transforms.exp(logits, false).sum(true, 1), false).sumNumber().doubleValue();
        return (logSumExp - picked) / targets.length;
    }

    static INDArray softmaxInPlace(INDArray logits) {
        logits.subiColumnVector(logits.max(true, 1));
        Transforms.exp(logits, false);
        return logits.diviColumnVector(logits.sum(true, 1));
    }
}
