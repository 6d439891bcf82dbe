package dev.streaminglstm.core.kernel;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;

import dev.streaminglstm.core.kernel.NativeMatrix.Block;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Single-precision BLAS calls on native memory, through JavaCPP's OpenBLAS preset (the one
 * nd4j-native depends on), without ND4J's op dispatch or any copying. The calls run on the
 * OpenBLAS {@link BundledOpenBlas} loads, where it could.
 *
 * <p>The number of OpenBLAS threads is process-wide. ND4J sets it once, when its backend starts
 * (before this class is used), to {@code OMP_NUM_THREADS} (or the number of cores if that is
 * unset); {@link #setThreads} changes it afterwards, for ND4J's own matrix products too.
 */
public final class Blas {
    static {
        BundledOpenBlas.load();
        // ND4J sets OpenBLAS's thread count when it starts: let it start first, so that it cannot undo setThreads
        Nd4j.getBackend();
    }

    private Blas() {}

    /** The number of threads OpenBLAS runs a large product on. */
    public static int threads() {
        return openblas_nolapack.blas_get_num_threads();
    }

    /** Sets the number of threads OpenBLAS runs a large product on (process-wide). */
    public static void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("BLAS threads must be at least 1, was " + threads);
        }
        openblas_nolapack.blas_set_num_threads(threads);
    }

    /**
     * GFLOP/s of an {@code n x n x n} float product through this class at the current thread count,
     * the best of 10: the BLAS ceiling a benchmark compares with.
     */
    public static double squareProductGflops(int n) {
        float[] values = new float[n * n];
        java.util.Arrays.fill(values, 1f / n);
        NativeMatrix a = NativeMatrix.of(values, n, n);
        NativeMatrix c = NativeMatrix.uninitialized(n, n);
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            gemm(a.all(), false, a.all(), false, 0f, c.all());
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return 2.0 * n * n * n / best / 1e9;
    }

    /** {@code c = op(a) op(b) + beta c}, where {@code op} transposes when asked. */
    static void gemm(Block a, boolean transposeA, Block b, boolean transposeB, float beta, Block c) {
        int m = transposeA ? a.columns() : a.rows();
        int k = transposeA ? a.rows() : a.columns();
        int n = transposeB ? b.rows() : b.columns();
        int kb = transposeB ? b.columns() : b.rows();
        if (k != kb || c.rows() != m || c.columns() != n) {
            throw new IllegalArgumentException("gemm shapes: op(a) " + m + "x" + k + ", op(b) " + kb + "x" + n
                    + ", c " + c.rows() + "x" + c.columns());
        }
        if (m == 0 || n == 0) {
            return;
        }
        openblas_nolapack.cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans, m, n, k, 1f, a.pointer(), a.stride(), b.pointer(),
                b.stride(), beta, c.pointer(), c.stride());
    }

    /**
     * {@code y = op(a) x + beta y} for vectors {@code x} and {@code y} given as blocks of one row.
     */
    static void gemv(Block a, boolean transposeA, Block x, float beta, Block y) {
        int in = transposeA ? a.rows() : a.columns();
        int out = transposeA ? a.columns() : a.rows();
        if (x.rows() != 1 || y.rows() != 1 || x.columns() != in || y.columns() != out) {
            throw new IllegalArgumentException("gemv shapes: a " + a.rows() + "x" + a.columns() + (transposeA ? "^T" : "")
                    + ", x " + x.rows() + "x" + x.columns() + ", y " + y.rows() + "x" + y.columns());
        }
        openblas_nolapack.cblas_sgemv(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, a.rows(), a.columns(),
                1f, a.pointer(), a.stride(), x.pointer(), 1, beta, y.pointer(), 1);
    }
}
