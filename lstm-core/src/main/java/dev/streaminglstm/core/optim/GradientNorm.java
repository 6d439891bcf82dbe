package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.kernel.NativeFloats;
import dev.streaminglstm.core.model.ParameterSet;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The global L2 norm of a set of arrays, accumulated in double whatever their type (dense FLOAT
 * arrays in one Java pass each, others by one native reduction into a DOUBLE scalar), so FLOAT
 * gradients neither lose small terms next to large ones nor overflow when squared. Any NaN or
 * infinite value makes the norm non-finite (so do DOUBLE values beyond about 1e154, whose squares
 * overflow).
 */
final class GradientNorm {
    private GradientNorm() {}

    static double of(ParameterSet arrays) {
        INDArray sumOfSquares = null;
        float[] chunk = null;
        double total = 0;
        for (INDArray a : arrays.asMap().values()) {
            FloatBuffer dense = NativeFloats.dense(a);
            if (dense != null) {
                if (chunk == null) {
                    chunk = new float[NativeFloats.CHUNK];
                }
                total += sumOfSquares(dense, chunk);
                continue;
            }
            if (sumOfSquares == null) {
                sumOfSquares = Nd4j.scalar(DataType.DOUBLE, 0.0);
            }
            Nd4j.getExecutioner().exec(new SquaredNorm(a, sumOfSquares));
            total += sumOfSquares.getDouble(0);
        }
        return Math.sqrt(total);
    }

    /** The sum of squares of a dense FLOAT array, in Java, with four double accumulators. */
    private static double sumOfSquares(FloatBuffer values, float[] chunk) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int n = values.limit();
        for (int from = 0; from < n; from += chunk.length) {
            int len = Math.min(chunk.length, n - from);
            values.get(from, chunk, 0, len);
            int i = 0;
            for (; i + 3 < len; i += 4) {
                double a = chunk[i];
                double b = chunk[i + 1];
                double c = chunk[i + 2];
                double d = chunk[i + 3];
                s0 += a * a;
                s1 += b * b;
                s2 += c * c;
                s3 += d * d;
            }
            for (; i < len; i++) {
                double a = chunk[i];
                s0 += a * a;
            }
        }
        return (s0 + s1) + (s2 + s3);
    }
}
