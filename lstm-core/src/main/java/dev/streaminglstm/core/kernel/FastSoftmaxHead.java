package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.nn.Embedding;
import dev.streaminglstm.core.nn.OutputHead;
import dev.streaminglstm.core.nn.SoftmaxHead;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The head of {@link SoftmaxHead} (the same function and gradients), fast for FLOAT parameters;
 * other data types run on {@link SoftmaxHead} itself.
 *
 * <p>The three products (logits, weight gradient, hidden gradient) are one OpenBLAS call each on
 * native memory. Bias, softmax, loss, the logits' gradient and the bias gradient are one pass over
 * each row in Java, reading the target by its index rather than through a one-hot matrix. Sums
 * that grow with the number of rows (loss, bias gradient) are kept in double.
 */
final class FastSoftmaxHead implements OutputHead {
    static final FastSoftmaxHead INSTANCE = new FastSoftmaxHead();

    private FastSoftmaxHead() {}

    @Override
    public Result lossAndGradient(INDArray weights, INDArray bias, INDArray hidden, int[] targets,
            INDArray gradWeights, INDArray gradBias) {
        if (weights.dataType() != DataType.FLOAT) {
            return SoftmaxHead.INSTANCE.lossAndGradient(weights, bias, hidden, targets, gradWeights, gradBias);
        }
        NativeMatrix h = NativeMatrix.of(hidden);
        NativeMatrix w = NativeMatrix.of(weights);
        NativeMatrix logits = logits(h, w, targets);
        int rows = logits.rows();
        int vocab = logits.columns();
        float[] b = NativeMatrix.of(bias).toHeap();
        float[] row = new float[vocab];
        double[] dBias = new double[vocab];
        float perRow = 1f / rows;
        double loss = 0;
        for (int r = 0; r < rows; r++) {
            logits.read(r, row, 0, vocab);
            loss += softmax(row, b, targets[r]);
            // dLogits = (softmax - onehot) / rows
            for (int k = 0; k < vocab; k++) {
                float d = row[k] * perRow;
                row[k] = d;
                dBias[k] += d;
            }
            row[targets[r]] -= perRow;
            dBias[targets[r]] -= perRow;
            logits.write(r, row, 0, vocab);
        }
        NativeMatrix dW = NativeMatrix.of(gradWeights);
        Blas.gemm(h.all(), true, logits.all(), false, 1f, dW.all());
        dW.writeBack();
        float[] db = new float[vocab];
        for (int k = 0; k < vocab; k++) {
            db[k] = (float) dBias[k];
        }
        gradBias.addi(NativeMatrix.of(db, 1, vocab).array().castTo(gradBias.dataType()));
        NativeMatrix dHidden = NativeMatrix.uninitialized(rows, h.columns());
        Blas.gemm(logits.all(), false, w.all(), true, 0f, dHidden.all());
        return new Result(loss / rows, dHidden.array());
    }

    @Override
    public double loss(INDArray weights, INDArray bias, INDArray hidden, int[] targets) {
        if (weights.dataType() != DataType.FLOAT) {
            return SoftmaxHead.INSTANCE.loss(weights, bias, hidden, targets);
        }
        NativeMatrix logits = logits(NativeMatrix.of(hidden), NativeMatrix.of(weights), targets);
        float[] b = NativeMatrix.of(bias).toHeap();
        float[] row = new float[logits.columns()];
        double loss = 0;
        for (int r = 0; r < logits.rows(); r++) {
            logits.read(r, row, 0, row.length);
            loss += softmax(row, b, targets[r]);
        }
        return loss / logits.rows();
    }

    @Override
    public INDArray probabilities(INDArray weights, INDArray bias, INDArray hidden) {
        if (weights.dataType() != DataType.FLOAT) {
            return SoftmaxHead.INSTANCE.probabilities(weights, bias, hidden);
        }
        NativeMatrix logits = logits(NativeMatrix.of(hidden), NativeMatrix.of(weights), null);
        float[] b = NativeMatrix.of(bias).toHeap();
        float[] row = new float[logits.columns()];
        for (int r = 0; r < logits.rows(); r++) {
            logits.read(r, row, 0, row.length);
            softmax(row, b, -1);
            logits.write(r, row, 0, row.length);
        }
        return logits.array();
    }

    /** {@code hidden W} without the bias, after checking shapes and target ids (null: none). */
    private static NativeMatrix logits(NativeMatrix hidden, NativeMatrix weights, int[] targets) {
        if (hidden.columns() != weights.rows()) {
            throw new IllegalArgumentException("hidden rows of " + hidden.columns() + " values for a head of "
                    + weights.rows() + " inputs");
        }
        if (targets != null) {
            if (targets.length != hidden.rows()) {
                throw new IllegalArgumentException(targets.length + " targets for " + hidden.rows() + " hidden rows");
            }
            Embedding.requireIds(targets, weights.columns());
        }
        NativeMatrix logits = NativeMatrix.uninitialized(hidden.rows(), weights.columns());
        Blas.gemm(hidden.all(), false, weights.all(), false, 0f, logits.all());
        return logits;
    }

    /**
     * Turns {@code row} (logits without bias) into the softmax of {@code row + bias}, in place, and
     * returns the cross-entropy of {@code target} (for target -1: the log of the normaliser), from the logits as
     * {@code log sum exp(x - max) - (x_target - max)}, so that it stays finite where the target's
     * probability underflows.
     */
    static double softmax(float[] row, float[] bias, int target) {
        int n = row.length;
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            float v = row[k] + bias[k];
            row[k] = v;
            max = Math.max(max, v);
        }
        float picked = target < 0 ? max : row[target];
        double sum = 0;
        for (int k = 0; k < n; k++) {
            float e = (float) Math.exp(row[k] - max);
            row[k] = e;
            sum += e;
        }
        float scale = (float) (1 / sum);
        for (int k = 0; k < n; k++) {
            row[k] *= scale;
        }
        return Math.log(sum) - (picked - max);
    }
}
