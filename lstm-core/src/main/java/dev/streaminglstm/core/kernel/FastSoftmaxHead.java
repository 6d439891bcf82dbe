package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.nn.Embedding;
import dev.streaminglstm.core.nn.OutputHead;
import dev.streaminglstm.core.nn.SoftmaxHead;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The head of {@link SoftmaxHead} (the same function and gradients) for FLOAT parameters; it
 * refuses other types ({@link Kernel#FAST}).
 *
 * <p>The three products (logits, weight gradient, hidden gradient) are OpenBLAS calls on native
 * memory, split by rows or columns over the kernel's threads. Bias, softmax, loss, the logits'
 * gradient and the bias gradient are one pass over each row in Java, reading the target by its
 * index rather than through a one-hot matrix. Sums that grow with the number of rows (loss, bias
 * gradient) are kept in double.
 */
final class FastSoftmaxHead implements OutputHead {
    /** Fewest rows (or columns) worth a part of their own. */
    private static final int MIN_PART = 64;

    private final Parallelism parallelism;

    FastSoftmaxHead(Parallelism parallelism) {
        this.parallelism = parallelism;
    }

    @Override
    public Result lossAndGradient(INDArray weights, INDArray bias, INDArray hidden, int[] targets,
            INDArray gradWeights, INDArray gradBias) {
        FastLstmLayer.requireFloat(weights.dataType());
        NativeMatrix h = NativeMatrix.of(hidden);
        NativeMatrix w = NativeMatrix.of(weights);
        checkShapes(h, w, targets);
        int rows = h.rows();
        int vocab = w.columns();
        Scratch scratch = Scratch.ofThread();
        NativeMatrix logits = scratch.matrix(rows, vocab);
        float[] b = NativeMatrix.of(bias).toHeap();
        int parts = parallelism.parts(rows, MIN_PART);
        double[] loss = new double[parts];
        double[][] dBias = new double[parts][vocab];
        float perRow = 1f / rows;
        parallelism.run(parts, p -> {
            int r0 = Parallelism.start(p, parts, rows);
            int r1 = Parallelism.start(p + 1, parts, rows);
            Blas.gemm(h.rows(r0, r1 - r0), false, w.all(), false, 0f, logits.rows(r0, r1 - r0));
            float[] row = new float[vocab];
            double[] db = dBias[p];
            for (int r = r0; r < r1; r++) {
                logits.read(r, row, 0, vocab);
                loss[p] += softmax(row, b, targets[r]);
                // dLogits = (softmax - onehot) / rows
                for (int k = 0; k < vocab; k++) {
                    float d = row[k] * perRow;
                    row[k] = d;
                    db[k] += d;
                }
                row[targets[r]] -= perRow;
                db[targets[r]] -= perRow;
                logits.write(r, row, 0, vocab);
            }
        });
        float[] db = new float[vocab];
        double total = 0;
        for (int p = 0; p < parts; p++) {
            total += loss[p];
            for (int k = 0; k < vocab; k++) {
                db[k] += (float) dBias[p][k];
            }
        }
        gradBias.addi(NativeMatrix.of(db, 1, vocab).array().castTo(gradBias.dataType()));
        NativeMatrix dW = NativeMatrix.of(gradWeights);
        NativeMatrix dHidden = scratch.matrix(rows, h.columns());
        int productParts = Math.min(parallelism.parts(rows, MIN_PART), parallelism.parts(vocab, MIN_PART));
        parallelism.run(productParts, p -> {
            int c0 = Parallelism.start(p, productParts, vocab);
            int columns = Parallelism.start(p + 1, productParts, vocab) - c0;
            Blas.gemm(h.all(), true, logits.all().columns(c0, columns), false, 1f, dW.all().columns(c0, columns));
            int r0 = Parallelism.start(p, productParts, rows);
            int count = Parallelism.start(p + 1, productParts, rows) - r0;
            Blas.gemm(logits.rows(r0, count), false, w.all(), true, 0f, dHidden.rows(r0, count));
        });
        dW.writeBack();
        scratch.give(logits);
        return new Result(total / rows, dHidden.array());
    }

    @Override
    public void release(Result result) {
        Scratch.ofThread().give(NativeMatrix.of(result.dHidden()));
    }

    @Override
    public double loss(INDArray weights, INDArray bias, INDArray hidden, int[] targets) {
        FastLstmLayer.requireFloat(weights.dataType());
        NativeMatrix h = NativeMatrix.of(hidden);
        NativeMatrix w = NativeMatrix.of(weights);
        checkShapes(h, w, targets);
        Scratch scratch = Scratch.ofThread();
        NativeMatrix logits = scratch.matrix(h.rows(), w.columns());
        float[] b = NativeMatrix.of(bias).toHeap();
        int rows = h.rows();
        int parts = parallelism.parts(rows, MIN_PART);
        double[] loss = new double[parts];
        parallelism.run(parts, p -> {
            int r0 = Parallelism.start(p, parts, rows);
            int r1 = Parallelism.start(p + 1, parts, rows);
            Blas.gemm(h.rows(r0, r1 - r0), false, w.all(), false, 0f, logits.rows(r0, r1 - r0));
            float[] row = new float[logits.columns()];
            for (int r = r0; r < r1; r++) {
                logits.read(r, row, 0, row.length);
                loss[p] += softmax(row, b, targets[r]);
            }
        });
        scratch.give(logits);
        return Arrays.stream(loss).sum() / rows;
    }

    @Override
    public INDArray probabilities(INDArray weights, INDArray bias, INDArray hidden) {
        FastLstmLayer.requireFloat(weights.dataType());
        NativeMatrix h = NativeMatrix.of(hidden);
        NativeMatrix w = NativeMatrix.of(weights);
        checkShapes(h, w, null);
        NativeMatrix logits = NativeMatrix.uninitialized(h.rows(), w.columns()); // handed out: not scratch
        Blas.gemm(h.all(), false, w.all(), false, 0f, logits.all());
        float[] b = NativeMatrix.of(bias).toHeap();
        float[] row = new float[logits.columns()];
        for (int r = 0; r < logits.rows(); r++) {
            logits.read(r, row, 0, row.length);
            softmax(row, b, -1);
            logits.write(r, row, 0, row.length);
        }
        return logits.array();
    }

    /** Checks that {@code hidden} rows fit the head and, unless null, the targets. */
    private static void checkShapes(NativeMatrix hidden, NativeMatrix weights, int[] targets) {
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
    }

    /**
     * Turns {@code row} (logits without bias) into the softmax of {@code row + bias}, in place, and
     * returns the cross-entropy of {@code target} (for target -1: the log of the normaliser), from
     * the logits as {@code log sum exp(x - max) - (x_target - max)}, so that it stays finite where
     * the target's probability underflows.
     */
    static double softmax(float[] row, float[] bias, int target) {
        float picked = target < 0 ? 0f : row[target] + bias[target];
        float max = exponentiate(row, bias);
        double sum = sum(row);
        float scale = (float) (1 / sum);
        for (int k = 0; k < row.length; k++) {
            row[k] *= scale;
        }
        return Math.log(sum) - (target < 0 ? 0f : picked - max);
    }

    /**
     * The cross-entropy of {@code target} under the softmax of {@code row + bias}, as
     * {@link #softmax} returns it, without normalising: {@code row} is left holding
     * {@code e^(x - max)}.
     */
    static double crossEntropy(float[] row, float[] bias, int target) {
        float picked = row[target] + bias[target];
        float max = exponentiate(row, bias);
        return Math.log(sum(row)) - (picked - max);
    }

    /** {@code row = e^(row + bias - max)}, returning the max of {@code row + bias}. */
    private static float exponentiate(float[] row, float[] bias) {
        int n = row.length;
        float max = Float.NEGATIVE_INFINITY;
        for (int k = 0; k < n; k++) {
            float v = row[k] + bias[k];
            row[k] = v;
            max = Math.max(max, v);
        }
        Scratch scratch = Scratch.ofThread();
        float[] twoToN = scratch.floats(n);
        Activations.expInPlace(row, max, n, twoToN);
        scratch.give(twoToN);
        return max;
    }

    private static double sum(float[] row) {
        double sum = 0;
        for (float v : row) {
            sum += v;
        }
        return sum;
    }
}
