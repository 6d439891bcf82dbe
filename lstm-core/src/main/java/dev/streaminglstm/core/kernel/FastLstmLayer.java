package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.nn.Embedding;
import dev.streaminglstm.core.nn.LayerWeights;
import dev.streaminglstm.core.nn.LstmLayer;
import dev.streaminglstm.core.nn.RecurrentLayer;
import dev.streaminglstm.core.nn.SequenceInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LSTM layer of {@link LstmLayer} (the same function of the same parameters: gates i, f, g, o,
 * keep mask, conditioning, carried state, and the same gradients) for FLOAT parameters; it
 * refuses other types ({@link Kernel#FAST}).
 *
 * <p>Where the time goes: three products over the whole window (the input projection, the weight
 * gradients, the input gradient) are one OpenBLAS call each, and the two recurrent products of
 * every step ({@code h' Wh} forward, {@code dz Wh^T} backward) one or a few (see
 * {@link RecurrentProduct}), all on native memory. The gate arithmetic of a step
 * ({@link LstmCell}) is plain Java loops over heap arrays that the JIT vectorises, with rows
 * copied in bulk between native and heap memory. Nothing goes through ND4J's op dispatch inside
 * the step loop, and the window's buffers are the calling thread's {@link Scratch}, reused from
 * one window to the next once the trace is released.
 *
 * <p>Streams are independent until the weight gradients, so a window's streams are split into
 * up to {@link Parallelism#threads()} parts that run their steps on their own threads without
 * meeting; the products over the whole window are split by rows or columns.
 */
public final class FastLstmLayer implements RecurrentLayer {
    /** Rows per vocabulary entry from which the input projection of embedded tokens is folded. */
    static final int FOLD_FROM_ROWS_PER_TOKEN = 2;
    /**
     * Fewest streams a part gets: below it, a part's per-step products cost nearly as much as
     * the whole batch's (OpenBLAS's fixed cost per call, see {@link RecurrentProduct}).
     */
    static final int MIN_STREAMS_PER_PART = 8;
    /** Fewest columns (or rows) of a whole-window product worth a part. */
    private static final int MIN_PRODUCT_PART = 128;

    private final Parallelism parallelism;

    /** On the calling thread only. */
    FastLstmLayer() {
        this(Parallelism.SINGLE);
    }

    FastLstmLayer(Parallelism parallelism) {
        this.parallelism = parallelism;
    }

    /**
     * What forward keeps for backward. Backward reuses the memory of the pre-activations for the
     * pre-activation gradients, so one trace is backpropagated once, by one thread at a time.
     */
    static final class FastTrace implements Trace {
        private final SequenceInput in;
        private final int hidden;
        private NativeMatrix input; // x [TB, in], or null when the input projection was folded
        private NativeMatrix table; // the embedding table [V, in] when it was folded, else null
        private NativeMatrix preActivations; // x Wx + h' Wh, bias not added [TB, G]; then dz
        private NativeMatrix prevHidden; // h' = keep * h_{t-1} [TB, H]
        private NativeMatrix output; // h_t [TB, H]
        private float[] keep; // [TB]
        private float[] gates; // activations, step by step, gate by gate: [T][4][B * H]
        private float[] cell0; // carried c [B * H]
        private float[] cell; // c_t [T][B * H]
        private float[] tanhCell; // tanh(c_t) [T][B * H]
        /** What this trace took from its thread's {@link Scratch}, given back by {@link #release}. */
        private final List<NativeMatrix> ownedMatrices = new ArrayList<>();
        private final List<float[]> ownedArrays = new ArrayList<>();

        private FastTrace(SequenceInput in, int hidden) {
            this.in = in;
            this.hidden = hidden;
        }

        private NativeMatrix own(NativeMatrix m) {
            ownedMatrices.add(m);
            return m;
        }

        private float[] own(float[] a) {
            ownedArrays.add(a);
            return a;
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

        @Override
        public void release() {
            Scratch scratch = Scratch.ofThread();
            ownedMatrices.forEach(scratch::give);
            ownedArrays.forEach(scratch::give);
            ownedMatrices.clear();
            ownedArrays.clear();
        }
    }

    @Override
    public Trace forward(LayerWeights w, SequenceInput in, INDArray h0, INDArray c0) {
        requireFloat(w.inputWeights().dataType());
        int steps = in.steps();
        int batch = in.batch();
        int hidden = Math.toIntExact(w.recurrentWeights().rows());
        requireShapes(w, in, h0, c0, hidden);
        int rows = steps * batch;
        int n = batch * hidden;
        Scratch scratch = Scratch.ofThread();
        FastTrace tr = new FastTrace(in, hidden);

        NativeMatrix wh = NativeMatrix.of(w.recurrentWeights());
        NativeMatrix wx = NativeMatrix.of(w.inputWeights());
        NativeMatrix z = tr.own(scratch.matrix(rows, 4 * hidden));
        tr.preActivations = z;
        float[] projected = null; // table Wx [V][G], when folded
        if (folds(in)) {
            tr.table = NativeMatrix.of(in.tokens().table());
            projected = project(tr.table, wx);
        } else {
            tr.input = NativeMatrix.of(in.input());
            NativeMatrix x = tr.input;
            int parts = parallelism.parts(rows, MIN_PRODUCT_PART);
            parallelism.run(parts, p -> {
                int r0 = Parallelism.start(p, parts, rows);
                int count = Parallelism.start(p + 1, parts, rows) - r0;
                Blas.gemm(x.rows(r0, count), false, wx.all(), false, 0f, z.rows(r0, count));
            });
        }
        float[][] bias = streamBias(w, in, hidden);
        tr.keep = NativeMatrix.of(in.keep()).toHeap();
        tr.prevHidden = tr.own(scratch.matrix(rows, hidden));
        tr.output = tr.own(scratch.matrix(rows, hidden));
        tr.gates = tr.own(scratch.floats(steps * 4 * n));
        tr.cell = tr.own(scratch.floats(steps * n));
        tr.tanhCell = tr.own(scratch.floats(steps * n));
        tr.cell0 = NativeMatrix.of(c0).toHeap();
        float[] hidden0 = NativeMatrix.of(h0).toHeap();
        float[] table = projected;
        int parts = parallelism.parts(batch, MIN_STREAMS_PER_PART);
        parallelism.run(parts, p -> forwardStreams(tr, wh, table, bias, hidden0,
                Parallelism.start(p, parts, batch), Parallelism.start(p + 1, parts, batch)));
        return tr;
    }

    /** Every step of streams {@code [b0, b1)}, on the calling thread. */
    private static void forwardStreams(FastTrace tr, NativeMatrix wh, float[] projected, float[][] bias, float[] h0,
            int b0, int b1) {
        int batch = tr.in.batch();
        int hidden = tr.hidden;
        int n = batch * hidden;
        int m = (b1 - b0) * hidden;
        int from = b0 * hidden;
        int streams = b1 - b0;
        NativeMatrix z = tr.preActivations;
        Scratch scratch = Scratch.ofThread();
        float[][] gate = new float[4][];
        float[][] partBias = new float[4][];
        for (int q = 0; q < 4; q++) {
            gate[q] = scratch.floats(m);
            partBias[q] = Arrays.copyOfRange(bias[q], from, from + m);
        }
        float[] c = Arrays.copyOfRange(tr.cell0, from, from + m);
        float[] h = Arrays.copyOfRange(h0, from, from + m);
        float[] hp = scratch.floats(m);
        float[] tanhC = scratch.floats(m);
        for (int t = 0; t < tr.in.steps(); t++) {
            int r0 = t * batch + b0;
            mask(h, tr.keep, r0, streams, hidden, hp);
            tr.prevHidden.write(r0, hp, 0, m);
            RecurrentProduct.forward(tr.prevHidden.rows(r0, streams), wh.all(), projected == null ? 1f : 0f,
                    z.rows(r0, streams));
            for (int b = 0; b < streams; b++) {
                for (int q = 0; q < 4; q++) {
                    z.read(r0 + b, q * hidden, gate[q], b * hidden, hidden);
                }
            }
            if (projected != null) {
                addProjected(projected, tr.in.tokens().ids(), r0, streams, hidden, gate);
            }
            LstmCell.forward(streams, hidden, tr.keep, r0, gate, partBias, c, tanhC, h);
            for (int q = 0; q < 4; q++) {
                System.arraycopy(gate[q], 0, tr.gates, (4 * t + q) * n + from, m);
            }
            System.arraycopy(c, 0, tr.cell, t * n + from, m);
            System.arraycopy(tanhC, 0, tr.tanhCell, t * n + from, m);
            tr.output.write(r0, h, 0, m);
        }
        for (float[] g : gate) {
            scratch.give(g);
        }
        scratch.give(hp);
        scratch.give(tanhC);
    }

    @Override
    public Backward backward(LayerWeights w, Trace trace, INDArray dOutput, LayerWeights grads) {
        if (!(trace instanceof FastTrace tr)) {
            throw new IllegalArgumentException("the fast LSTM layer backpropagates its own traces, not "
                    + trace.getClass().getSimpleName());
        }
        requireFloat(w.inputWeights().dataType());
        SequenceInput in = tr.in;
        int steps = in.steps();
        int batch = in.batch();
        int hidden = tr.hidden;
        int rows = steps * batch;
        int n = batch * hidden;
        int width = 4 * hidden;
        if (dOutput.rank() != 2 || dOutput.rows() != rows || dOutput.columns() != hidden) {
            throw new IllegalArgumentException("dOutput has shape " + Arrays.toString(dOutput.shape())
                    + ", the window's outputs are [" + rows + ", " + hidden + "]");
        }
        NativeMatrix dOut = NativeMatrix.of(dOutput);
        NativeMatrix wh = NativeMatrix.of(w.recurrentWeights());
        float[] dHidden0 = new float[n];
        float[] dCell0 = new float[n];
        float[][] dzPerStream = new float[4][n];
        int parts = parallelism.parts(batch, MIN_STREAMS_PER_PART);
        float[][] dProjectedParts = tr.table == null ? null : new float[parts][];
        parallelism.run(parts, p -> backwardStreams(tr, wh, dOut, p, Parallelism.start(p, parts, batch),
                Parallelism.start(p + 1, parts, batch), dProjectedParts, dHidden0, dCell0, dzPerStream));
        NativeMatrix dProjected = null;
        Scratch scratch = Scratch.ofThread();
        if (dProjectedParts != null) {
            // dz summed per token id, [V][G]
            float[] sum = dProjectedParts[0];
            for (int p = 1; p < parts; p++) {
                float[] part = dProjectedParts[p];
                for (int k = 0; k < sum.length; k++) {
                    sum[k] += part[k];
                }
                scratch.give(part);
            }
            dProjected = tr.own(scratch.matrix(tr.table.rows(), width));
            dProjected.write(0, sum, 0, sum.length);
            scratch.give(sum);
        }
        accumulateWeightGradients(tr, dProjected, dzPerStream, grads);
        INDArray dh0 = NativeMatrix.of(dHidden0, batch, hidden).array();
        INDArray dc0 = NativeMatrix.of(dCell0, batch, hidden).array();
        NativeMatrix wx = NativeMatrix.of(w.inputWeights());
        if (dProjected != null) {
            // d table = (dz summed per token) Wx^T
            NativeMatrix dTable = tr.own(scratch.matrix(tr.table.rows(), wx.rows()));
            Blas.gemm(dProjected.all(), false, wx.all(), true, 0f, dTable.all());
            return new Backward(null, dh0, dc0, dTable.array());
        }
        NativeMatrix dInput = tr.own(scratch.matrix(rows, wx.rows()));
        NativeMatrix dz = tr.preActivations;
        int rowParts = parallelism.parts(rows, MIN_PRODUCT_PART);
        parallelism.run(rowParts, p -> {
            int r0 = Parallelism.start(p, rowParts, rows);
            int count = Parallelism.start(p + 1, rowParts, rows) - r0;
            Blas.gemm(dz.rows(r0, count), false, wx.all(), true, 0f, dInput.rows(r0, count));
        });
        if (in.tokens() != null) {
            return new Backward(null, dh0, dc0, addRowsByToken(dInput, in.tokens()));
        }
        return new Backward(dInput.array(), dh0, dc0);
    }

    /**
     * Every step of streams {@code [b0, b1)} backwards, on the calling thread: writes their rows of
     * {@code dz} (into the pre-activations' memory), of the carried-state gradients and of the
     * per-stream sums of {@code dz}; with a folded projection, part {@code p}'s sums of {@code dz}
     * per token into {@code dProjectedParts[p]}.
     */
    private static void backwardStreams(FastTrace tr, NativeMatrix wh, NativeMatrix dOut, int p, int b0, int b1,
            float[][] dProjectedParts, float[] dHidden0, float[] dCell0, float[][] dzPerStream) {
        int batch = tr.in.batch();
        int hidden = tr.hidden;
        int n = batch * hidden;
        int m = (b1 - b0) * hidden;
        int from = b0 * hidden;
        int streams = b1 - b0;
        NativeMatrix dz = tr.preActivations; // not read by backward: its memory takes dz
        Scratch scratch = Scratch.ofThread();
        NativeMatrix dhPrev = scratch.matrix(Math.max(1, streams), hidden);
        float[][] gate = new float[4][];
        float[][] dzStep = new float[4][];
        float[][] dzSum = new float[4][];
        for (int q = 0; q < 4; q++) {
            gate[q] = scratch.floats(m);
            dzStep[q] = scratch.floats(m);
            dzSum[q] = new float[m];
        }
        float[] tanhC = scratch.floats(m);
        float[] cPrev = scratch.floats(m);
        float[] dh = scratch.floats(m);
        float[] dcTotal = scratch.floats(m);
        float[] dhNext = new float[m];
        float[] dc = new float[m];
        float[] dProjected = null;
        if (dProjectedParts != null) {
            dProjected = scratch.floats(tr.table.rows() * 4 * hidden);
            Arrays.fill(dProjected, 0f);
            dProjectedParts[p] = dProjected;
        }
        for (int t = tr.in.steps() - 1; t >= 0; t--) {
            int r0 = t * batch + b0;
            dOut.read(r0, dh, 0, m);
            for (int j = 0; j < m; j++) {
                dh[j] += dhNext[j];
            }
            for (int q = 0; q < 4; q++) {
                System.arraycopy(tr.gates, (4 * t + q) * n + from, gate[q], 0, m);
            }
            System.arraycopy(tr.tanhCell, t * n + from, tanhC, 0, m);
            System.arraycopy(t == 0 ? tr.cell0 : tr.cell, (t == 0 ? 0 : (t - 1) * n) + from, cPrev, 0, m);
            LstmCell.backward(streams, hidden, tr.keep, r0, gate, tanhC, cPrev, dh, dc, dzStep, dzSum, dcTotal);
            for (int b = 0; b < streams; b++) {
                for (int q = 0; q < 4; q++) {
                    dz.write(r0 + b, q * hidden, dzStep[q], b * hidden, hidden);
                }
            }
            if (dProjected != null) {
                addByToken(dzStep, tr.in.tokens().ids(), r0, streams, hidden, dProjected);
            }
            RecurrentProduct.backward(dz.rows(r0, streams), wh.all(), dhPrev.rows(0, streams));
            dhPrev.read(0, dhNext, 0, m);
            mask(dhNext, tr.keep, r0, streams, hidden, dhNext);
        }
        System.arraycopy(dhNext, 0, dHidden0, from, m);
        System.arraycopy(dc, 0, dCell0, from, m);
        for (int q = 0; q < 4; q++) {
            System.arraycopy(dzSum[q], 0, dzPerStream[q], from, m);
            scratch.give(gate[q]);
            scratch.give(dzStep[q]);
        }
        scratch.give(dhPrev);
        scratch.give(tanhC);
        scratch.give(cPrev);
        scratch.give(dh);
        scratch.give(dcTotal);
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

    /** {@code table Wx} on the heap, {@code [V][G]}: the input projection of every token id. */
    private static float[] project(NativeMatrix table, NativeMatrix wx) {
        Scratch scratch = Scratch.ofThread();
        NativeMatrix projected = scratch.matrix(table.rows(), wx.columns());
        Blas.gemm(table.all(), false, wx.all(), false, 0f, projected.all());
        float[] p = projected.toHeap();
        scratch.give(projected);
        return p;
    }

    /** Adds row {@code ids[r0 + b]} of the projected table into stream {@code b}'s pre-activations. */
    private static void addProjected(float[] projected, int[] ids, int r0, int streams, int hidden, float[][] gate) {
        int width = 4 * hidden;
        for (int b = 0; b < streams; b++) {
            int row = ids[r0 + b] * width;
            for (int q = 0; q < 4; q++) {
                float[] g = gate[q];
                int to = b * hidden;
                int from = row + q * hidden;
                for (int j = 0; j < hidden; j++) {
                    g[to + j] += projected[from + j];
                }
            }
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
     * {@code dWh += h'^T dz}, {@code dWx += x^T dz} (one product each over the window, split by
     * columns; with a folded projection {@code table^T (dz summed per token)}),
     * {@code db += sum of dz} and {@code dWv += v^T (dz summed per stream)}.
     */
    private void accumulateWeightGradients(FastTrace tr, NativeMatrix dProjected, float[][] dzPerStream,
            LayerWeights grads) {
        NativeMatrix dz = tr.preActivations;
        NativeMatrix dWh = NativeMatrix.of(grads.recurrentWeights());
        NativeMatrix dWx = NativeMatrix.of(grads.inputWeights());
        int width = dz.columns();
        int parts = parallelism.parts(width, MIN_PRODUCT_PART);
        parallelism.run(parts, p -> {
            int c0 = Parallelism.start(p, parts, width);
            int count = Parallelism.start(p + 1, parts, width) - c0;
            Blas.gemm(tr.prevHidden.all(), true, dz.all().columns(c0, count), false, 1f, dWh.all().columns(c0, count));
            if (dProjected != null) {
                Blas.gemm(tr.table.all(), true, dProjected.all().columns(c0, count), false, 1f,
                        dWx.all().columns(c0, count));
            } else {
                Blas.gemm(tr.input.all(), true, dz.all().columns(c0, count), false, 1f, dWx.all().columns(c0, count));
            }
        });
        dWh.writeBack();
        dWx.writeBack();
        int batch = tr.in.batch();
        int hidden = tr.hidden;
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

    static void requireFloat(DataType type) {
        if (type != DataType.FLOAT) {
            throw new IllegalArgumentException("the fast kernel runs FLOAT parameters only, not " + type
                    + " (use Kernel.REFERENCE)");
        }
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
