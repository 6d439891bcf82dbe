package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The reference {@link OutputHead}, for any data type, in whole-array ND4J operations: the targets
 * as a one-hot matrix. What the gradient checks verify.
 */
public final class SoftmaxHead implements OutputHead {
    public static final SoftmaxHead INSTANCE = new SoftmaxHead();

    private SoftmaxHead() {}

    @Override
    public INDArray probabilities(INDArray weights, INDArray bias, INDArray hidden) {
        INDArray p = hidden.mmul(weights).addiRowVector(bias);
        return softmaxInPlace(p);
    }

    @Override
    public Result lossAndGradient(
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

    @Override
    public double loss(INDArray weights, INDArray bias, INDArray hidden, int[] targets) {
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
