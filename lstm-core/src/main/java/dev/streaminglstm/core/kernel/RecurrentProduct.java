package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.kernel.NativeMatrix.Block;

/**
 * The per-step products with the recurrent weights {@code Wh [hidden, G]}, by the fastest BLAS
 * call for the batch size: one matrix-vector product per stream below {@link #MATRIX_PRODUCT_FROM}
 * streams, one matrix product from there on.
 */
final class RecurrentProduct {
    /**
     * Smallest batch that runs as one {@code sgemm}. Measured with one BLAS thread on the 2-core
     * AMD EPYC (Zen 3), hidden 256: one stream's {@code sgemv} takes 18-20 µs, an {@code sgemm} of
     * 1 to 16 rows 200-400 µs (it costs nearly the same for any of them); the two break even
     * between 10 and 16 streams.
     */
    static final int MATRIX_PRODUCT_FROM = 12;

    private RecurrentProduct() {}

    /** {@code z = h Wh + beta z} for {@code h [B, hidden]}, {@code z [B, G]}. */
    static void forward(Block h, Block wh, float beta, Block z) {
        if (h.rows() >= MATRIX_PRODUCT_FROM) {
            Blas.gemm(h, false, wh, false, beta, z);
            return;
        }
        for (int b = 0; b < h.rows(); b++) {
            Blas.gemv(wh, true, h.row(b), beta, z.row(b));
        }
    }

    /** {@code dh = dz Wh^T} for {@code dz [B, G]}, {@code dh [B, hidden]}. */
    static void backward(Block dz, Block wh, Block dh) {
        if (dz.rows() >= MATRIX_PRODUCT_FROM) {
            Blas.gemm(dz, false, wh, true, 0f, dh);
            return;
        }
        for (int b = 0; b < dz.rows(); b++) {
            Blas.gemv(wh, false, dz.row(b), 0f, dh.row(b));
        }
    }
}
