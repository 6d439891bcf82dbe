package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ParameterSet;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.reduce.floating.SquaredNorm;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The global L2 norm of a set of arrays, accumulated in double whatever their type: one native
 * reduction per array into a DOUBLE scalar, so FLOAT gradients neither lose small terms next to
 * large ones nor overflow when squared. Any NaN or infinite value makes the norm non-finite (so
 * do DOUBLE values beyond about 1e154, whose squares overflow).
 */
final class GradientNorm {
    private GradientNorm() {}

    static double of(ParameterSet arrays) {
        INDArray sumOfSquares = Nd4j.scalar(DataType.DOUBLE, 0.0);
        double total = 0;
        for (INDArray a : arrays.asMap().values()) {
            Nd4j.getExecutioner().exec(new SquaredNorm(a, sumOfSquares));
            total += sumOfSquares.getDouble(0);
        }
        return Math.sqrt(total);
    }
}
