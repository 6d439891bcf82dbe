package dev.streaminglstm.core.optim;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.Axpy;
import org.nd4j.linalg.factory.Nd4j;

/** The fused in-place array operations the update rules are written with, one native call each. */
final class ArrayOps {
    private ArrayOps() {}

    /** {@code y += alpha * x}. */
    static void axpy(double alpha, INDArray x, INDArray y) {
        Nd4j.getExecutioner().exec(new Axpy(x, y, y, alpha));
    }

    /** {@code into = sqrt(x)}. */
    static void sqrt(INDArray x, INDArray into) {
        Nd4j.getExecutioner().exec(new Sqrt(x, into));
    }
}
