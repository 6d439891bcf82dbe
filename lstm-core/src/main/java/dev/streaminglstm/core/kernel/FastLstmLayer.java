package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.nn.Embedding;
import dev.streaminglstm.core.nn.LayerWeights;
import dev.streaminglstm.core.nn.LstmLayer;
import dev.streaminglstm.core.nn.RecurrentLayer;
import dev.streaminglstm.core.nn.SequenceInput;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LSTM layer of {@link LstmLayer} (the same function of the same parameters: gates i, f, g, o,
 * keep mask, conditioning, carried state, and the same gradients), fast for FLOAT parameters;
 * other data types run on {@link LstmLayer} itself.
 *
 * <p>Where the time goes: three products over the whole window (the input projection, the weight
 * gradients, the input gradient) are one OpenBLAS call each, and the two recurrent products of
 * every step ({@code h' Wh} forward, {@code dz Wh^T} backward) one or a few (see
 * {@link RecurrentProduct}), all on the arrays' native memory. The gate arithmetic of a step
 * ({@link LstmCell}) is plain Java loops over heap arrays that the JIT vectorises, with rows
 * copied in bulk between native and heap memory. Nothing goes through ND4J's op dispatch inside
 * the step loop.
 *
 * <p>Stateless: every call allocates its own buffers, so one instance serves any number of
 * threads. The OpenBLAS thread count is process-wide: see {@link Blas}.
 */
public final class FastLstmLayer implements RecurrentLayer {
    /** Rows per vocabulary entry from which the input projection of embedded tokens is folded. */
    static final int FOLD_FROM_ROWS_PER_TOKEN = 2;
    private final LstmLayer generic = new LstmLayer();

    /**
     * What forward keeps for backward. Backward reuses the memory of the pre-activations for the
     * pre-activation gradients, so one trace is backpropagated by one thread at a time.
     */
    static final class FastTrace implements Trace {
        private final SequenceInput in;
        private final int hidden;
        private final NativeMatrix input; // x [TB, in], or null when the input projection was folded
        private final NativeMatrix table; // the embedding table [V, in] when it was folded, else null
        private final NativeMatrix preActivations; // x Wx + h' Wh, bias not added [TB, G]
        private final NativeMatrix prevHidden; // h' = keep * h_{t-1} [TB, H]
        private final NativeMatrix output; // h_t [TB, H]
        private final float[] keep; // [TB]
        private final float[] gates; // activations, step by step, gate by gate: [T][4][B * H]
        private final float[] cell0; // carried c [B * H]
        private final float[] cell; // c_t [T][B * H]
        private final float[] tanhCell; // tanh(c_t) [T][B * H]

        private FastTrace(SequenceInput in, int hidden, NativeMatrix input, NativeMatrix table,
                NativeMatrix preActivations, NativeMatrix prevHidden, NativeMatrix output, float[] keep, float[] gates,
                float[] cell0, float[] cell, float[] tanhCell) {
            this.in = in;
            this.hidden = hidden;
            this.input = input;
            this.table = table;
            this.preActivations = preActivations;
            this.prevHidden = prevHidden;
            this.output = output;
            this.keep = keep;
            this.gates = gates;
            this.cell0 = cell0;
            this.cell = cell;
            this.tanhCell = tanhCell;
        }

        @Override
        public INDArray output() {
            return output.array();
        }

        @Override
        public INDArray lastHidden() {
            return SequenceInput.step(output.array(), in.steps() - 1, in.batch());
        }

        @Override
        public INDArray lastCell() {
            int size = in.batch() * hidden;
            int from = (in.steps() - 1) * size;
            return NativeMatrix.of(Arrays.copyOfRange(cell, from, from + size), in.batch(), hidden).array();
        }
    }

    @Override
    public Trace forward(LayerWeights w, SequenceInput in, INDArray h0, INDArray c0) {
        if (w.inputWeights().dataType() != DataType.FLOAT) {
            return generic.forward(w, in, h0, c0);
        }
        int steps = in.steps();
        int batch = in.batch();
        int hidden = Math.toIntExact(w.recurrentWeights().rows());
        requireShapes(w, in, h0, c0, hidden);
        int rows = steps * batch;
        int n = batch * hidden;

        NativeMatrix wh = NativeMatrix.of(w.recurrentWeights());
        NativeMatrix wx = NativeMatrix.of(w.inputWeights());
        NativeMatrix z = NativeMatrix.uninitialized(rows, 4L * hidden);
        NativeMatrix x = null;
        NativeMatrix table = null;
        if (folds(in)) {
            table = NativeMatrix.of(in.tokens().table());
            projectTokens(table, in.tokens().ids(), wx, z);
        } else {
            x = NativeMatrix.of(in.input());
            Blas.gemm(x.all(), false, wx.all(), false, 0f, z.all());
        }
        float[][] bias = streamBias(w, in, hidden);
        float[] keep = NativeMatrix.of(in.keep()).toHeap();

        NativeMatrix prevHidden = NativeMatrix.uninitialized(rows, hidden);
        NativeMatrix output = NativeMatrix.uninitialized(rows, hidden);
        float[] gates = new float[steps * 4 * n];
        float[] cell0 = NativeMatrix.of(c0).toHeap();
        float[] cell = new float[steps * n];
        float[] tanhCell = new float[steps * n];
        float[][] gate = new float[4][n];
        float[] c = cell0.clone();
        float[] tanhC = new float[n];
        float[] h = NativeMatrix.of(h0).toHeap();
        float[] hp = new float[n];
        for (int t = 0; t < steps; t++) {
            int r0 = t * batch;
            mask(h, keep, r0, batch, hidden, hp);
            prevHidden.write(r0, hp, 0, n);
            RecurrentProduct.forward(prevHidden.rows(r0, batch), wh.all(), z.rows(r0, batch));
            for (int b = 0; b < batch; b++) {
                for (int q = 0; q < 4; q++) {
                    z.read(r0 + b, q * hidden, gate[q], b * hidden, hidden);
                }
            }
            LstmCell.forward(batch, hidden, keep, r0, gate, bias, c, tanhC, h);
            for (int q = 0; q < 4; q++) {
                System.arraycopy(gate[q], 0, gates, (4 * t + q) * n, n);
            }
            System.arraycopy(c, 0, cell, t * n, n);
            System.arraycopy(tanhC, 0, tanhCell, t * n, n);
            output.write(r0, h, 0, n);
        }
        return new FastTrace(in, hidden, x, table, z, prevHidden, output, keep, gates, cell0, cell, tanhCell);
    }

    @Override
    public Backward backward(LayerWeights w, Trace trace, INDArray dOutput, LayerWeights grads) {
        if (!(trace instanceof FastTrace tr)) {
            return generic.backward(w, trace, dOutput, grads);
        }
        SequenceInput in = tr.in;
        int steps = in.steps();
        int batch = in.batch();
        int hidden = tr.hidden;
        int rows = steps * batch;
        int n = batch * hidden;
        if (dOutput.rank() != 2 || dOutput.rows() != rows || dOutput.columns() != hidden) {
            throw new IllegalArgumentException("dOutput has shape " + Arrays.toString(dOutput.shape())
                    + ", the window's outputs are [" + rows + ", " + hidden + "]");
        }
        NativeMatrix dOut = NativeMatrix.of(dOutput);
        NativeMatrix wh = NativeMatrix.of(w.recurrentWeights());
        NativeMatrix dz = tr.preActivations; // not read by backward: its memory takes dz
        NativeMatrix dhPrev = NativeMatrix.uninitialized(batch, hidden);
        float[][] gate = new float[4][n];
        float[][] dzStep = new float[4][n];
        float[][] dzPerStream = new float[4][n];
        float[] tanhC = new float[n];
        float[] cPrev = new float[n];
        float[] dh = new float[n];
        float[] dhNext = new float[n];
        float[] dc = new float[n];
        float[] dcTotal = new float[n];
        int width = 4 * hidden;
        // folded input projection: dz summed per token id, [V][G]
        float[] dProjected = tr.table == null ? null : new float[tr.table.rows() * width];
        for (int t = steps - 1; t >= 0; t--) {
            int r0 = t * batch;
            dOut.read(r0, dh, 0, n);
            for (int j = 0; j < n; j++) {
                dh[j] += dhNext[j];
            }
            for (int q = 0; q < 4; q++) {
                System.arraycopy(tr.gates, (4 * t + q) * n, gate[q], 0, n);
            }
            System.arraycopy(tr.tanhCell, t * n, tanhC, 0, n);
            System.arraycopy(t == 0 ? tr.cell0 : tr.cell, t == 0 ? 0 : (t - 1) * n, cPrev, 0, n);
            LstmCell.backward(batch, hidden, tr.keep, r0, gate, tanhC, cPrev, dh, dc, dzStep, dzPerStream, dcTotal);
            for (int b = 0; b < batch; b++) {
                for (int q = 0; q < 4; q++) {
                    dz.write(r0 + b, q * hidden, dzStep[q], b * hidden, hidden);
                }
            }
            if (dProjected != null) {
                addByToken(dzStep, in.tokens().ids(), r0, batch, hidden, dProjected);
            }
            RecurrentProduct.backward(dz.rows(r0, batch), wh.all(), dhPrev.all());
            dhPrev.read(0, dhNext, 0, n);
            mask(dhNext, tr.keep, r0, batch, hidden, dhNext);
        }
        NativeMatrix dProjectedRows = dProjected == null ? null
                : NativeMatrix.of(dProjected, tr.table.rows(), width);
        accumulateWeightGradients(tr, dz, dProjectedRows, dzPerStream, grads);
        INDArray dHidden0 = NativeMatrix.of(dhNext, batch, hidden).array();
        INDArray dCell0 = NativeMatrix.of(dc, batch, hidden).array();
        NativeMatrix wx = NativeMatrix.of(w.inputWeights());
        if (dProjectedRows != null) {
            // d table = (dz summed per token) Wx^T
            NativeMatrix dTable = NativeMatrix.uninitialized(tr.table.rows(), wx.rows());
            Blas.gemm(dProjectedRows.all(), false, wx.all(), true, 0f, dTable.all());
            return new Backward(null, dHidden0, dCell0, dTable.array());
        }
        NativeMatrix dInput = NativeMatrix.uninitialized(rows, wx.rows());
        Blas.gemm(dz.all(), false, wx.all(), true, 0f, dInput.all());
        if (in.tokens() != null) {
            return new Backward(null, dHidden0, dCell0, addRowsByToken(dInput, in.tokens()));
        }
        return new Backward(dInput.array(), dHidden0, dCell0);
    }

    /**
     * Whether the layer folds its input projection into the embedding: when the input is
     * embedded tokens and the window has at least {@link #FOLD_FROM_ROWS_PER_TOKEN} rows per
     * vocabulary entry, {@code x Wx} is cheaper as a lookup in {@code table Wx}, and the gradients
     * of {@code Wx} and of the table are cheaper from {@code dz} summed per token than from every row.
     */
    private static boolean folds(SequenceInput in) {
        return in.tokens() != null
                && (long) in.steps() * in.batch() >= FOLD_FROM_ROWS_PER_TOKEN * in.tokens().table().rows();
    }

    /** Row {@code n} of {@code z} becomes row {@code ids[n]} of {@code table Wx}. */
    private static void projectTokens(NativeMatrix table, int[] ids, NativeMatrix wx, NativeMatrix z) {
        NativeMatrix projected = NativeMatrix.uninitialized(table.rows(), wx.columns());
        Blas.gemm(table.all(), false, wx.all(), false, 0f, projected.all());
        float[] p = projected.toHeap();
        int width = wx.columns();
        for (int n = 0; n < ids.length; n++) {
            z.write(n, p, ids[n] * width, width);
        }
    }

    /** Adds the pre-activation gradients of one step's streams into their tokens' rows of {@code sums}. */
    private static void addByToken(float[][] dzStep, int[] ids, int r0, int batch, int hidden, float[] sums) {
        int width = 4 * hidden;
        for (int b = 0; b < batch; b++) {
            int row = ids[r0 + b] * width;
            for (int q = 0; q < 4; q++) {
                float[] d = dzStep[q];
                int from = b * hidden;
                int to = row + q * hidden;
                for (int j = 0; j < hidden; j++) {
                    sums[to + j] += d[from + j];
                }
            }
        }
    }

    /** The embedding table's gradient from the gradients of its looked-up rows: row {@code n} added into row {@code ids[n]}. */
    private static INDArray addRowsByToken(NativeMatrix dRows, SequenceInput.TokenInput tokens) {
        int vocab = Math.toIntExact(tokens.table().rows());
        int width = dRows.columns();
        float[] rows = dRows.toHeap();
        float[] table = new float[vocab * width];
        int[] ids = tokens.ids();
        for (int n = 0; n < ids.length; n++) {
            int to = ids[n] * width;
            int from = n * width;
            for (int k = 0; k < width; k++) {
                table[to + k] += rows[from + k];
            }
        }
        return NativeMatrix.of(table, vocab, width).array();
    }

    /** {@code out = keep * a} row by row: stream {@code b}'s flag is {@code keep[keepOffset + b]}. */
    private static void mask(float[] a, float[] keep, int keepOffset, int batch, int hidden, float[] out) {
        for (int b = 0; b < batch; b++) {
            float k = keep[keepOffset + b];
            for (int j = b * hidden, end = j + hidden; j < end; j++) {
                out[j] = a[j] * k;
            }
        }
    }

    /**
     * {@code dWh += h'^T dz}, {@code dWx += x^T dz} (one product each over the window; with a
     * folded projection {@code table^T (dz summed per token)}), {@code db += sum of dz} and
     * {@code dWv += v^T (dz summed per stream)}.
     */
    private static void accumulateWeightGradients(FastTrace tr, NativeMatrix dz, NativeMatrix dProjected,
            float[][] dzPerStream, LayerWeights grads) {
        NativeMatrix dWh = NativeMatrix.of(grads.recurrentWeights());
        Blas.gemm(tr.prevHidden.all(), true, dz.all(), false, 1f, dWh.all());
        dWh.writeBack();
        NativeMatrix dWx = NativeMatrix.of(grads.inputWeights());
        if (dProjected != null) {
            Blas.gemm(tr.table.all(), true, dProjected.all(), false, 1f, dWx.all());
        } else {
            Blas.gemm(tr.input.all(), true, dz.all(), false, 1f, dWx.all());
        }
        dWx.writeBack();
        int batch = tr.in.batch();
        int hidden = tr.hidden;
        int width = 4 * hidden;
        float[] db = new float[width];
        float[] perStream = new float[batch * width];
        for (int q = 0; q < 4; q++) {
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < hidden; j++) {
                    float v = dzPerStream[q][b * hidden + j];
                    db[q * hidden + j] += v;
                    perStream[b * width + q * hidden + j] = v;
                }
            }
        }
        grads.bias().addi(NativeMatrix.of(db, 1, width).array().castTo(grads.bias().dataType()));
        if (tr.in.conditioning() != null) {
            Nd4j.gemm(tr.in.conditioning().castTo(DataType.FLOAT), NativeMatrix.of(perStream, batch, width).array(),
                    grads.conditioningWeights(), true, false, 1.0, 1.0);
        }
    }

    /** Per gate and stream, {@code b + v Wv} (or {@code b}): {@code [4][B * hidden]}. */
    private static float[][] streamBias(LayerWeights w, SequenceInput in, int hidden) {
        int width = 4 * hidden;
        float[] bias = NativeMatrix.of(w.bias()).toHeap();
        float[] perStream = in.conditioning() == null ? null
                : NativeMatrix.of(in.conditioning().castTo(DataType.FLOAT).mmul(w.conditioningWeights())).toHeap();
        float[][] out = new float[4][in.batch() * hidden];
        for (int q = 0; q < 4; q++) {
            for (int b = 0; b < in.batch(); b++) {
                for (int j = 0; j < hidden; j++) {
                    float v = bias[q * hidden + j];
                    out[q][b * hidden + j] = perStream == null ? v : v + perStream[b * width + q * hidden + j];
                }
            }
        }
        return out;
    }

    private static void requireShapes(LayerWeights w, SequenceInput in, INDArray h0, INDArray c0, int hidden) {
        long rows = (long) in.steps() * in.batch();
        if (rows * 4 * hidden > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a window of " + in.steps() + " steps x " + in.batch() + " streams x "
                    + (4 * hidden) + " gate values is too large for one Java array; split the batch");
        }
        requireShape("recurrent weights", w.recurrentWeights(), hidden, 4L * hidden);
        requireShape("input weights", w.inputWeights(), in.input().columns(), 4L * hidden);
        requireShape("bias", w.bias(), 1, 4L * hidden);
        requireShape("input", in.input(), rows, in.input().columns());
        if (in.tokens() != null) {
            INDArray table = in.tokens().table();
            requireShape("embedding table", table, table.rows(), w.inputWeights().rows());
            int[] ids = in.tokens().ids();
            if (ids.length != rows) {
                throw new IllegalArgumentException(ids.length + " token ids for " + rows + " input rows");
            }
            Embedding.requireIds(ids, table.rows());
        }
        requireShape("keep mask", in.keep(), rows, 1);
        requireShape("carried hidden state", h0, in.batch(), hidden);
        if (c0 == null) {
            throw new IllegalArgumentException("an LSTM layer needs a carried cell state, got none");
        }
        requireShape("carried cell state", c0, in.batch(), hidden);
        if (in.conditioning() != null) {
            if (w.conditioningWeights() == null) {
                throw new IllegalArgumentException("the input has conditioning vectors but the layer no weights for them");
            }
            requireShape("conditioning", in.conditioning(), in.batch(), w.conditioningWeights().rows());
            requireShape("conditioning weights", w.conditioningWeights(), in.conditioning().columns(), 4L * hidden);
        }
    }

    private static void requireShape(String what, INDArray a, long rows, long columns) {
        if (a.rank() != 2 || a.rows() != rows || a.columns() != columns) {
            throw new IllegalArgumentException(what + " has shape " + Arrays.toString(a.shape()) + ", expected ["
                    + rows + ", " + columns + "]");
        }
    }
}
