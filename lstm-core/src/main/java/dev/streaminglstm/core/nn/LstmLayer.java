package dev.streaminglstm.core.nn;

import static dev.streaminglstm.core.nn.SequenceInput.step;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * LSTM layer, gates in the order i, f, g, o:
 *
 * <pre>
 *   z_t = Wx x_t + Wh h'_{t-1} + b (+ Wv v)      h'_{t-1} = keep_t * h_{t-1}, c'_{t-1} = keep_t * c_{t-1}
 *   i = σ(z_i)  f = σ(z_f)  g = tanh(z_g)  o = σ(z_o)
 *   c_t = f * c'_{t-1} + i * g                   h_t = o * tanh(c_t)
 * </pre>
 *
 * The input projection of all steps, and every weight gradient, is one large matrix product
 * over the whole window; only {@code Wh h'} and the gate arithmetic run step by step.
 */
public final class LstmLayer implements RecurrentLayer {

    /** Forward values kept for backward, all time-major {@code [steps * batch, ...]}. */
    record LstmTrace(
            SequenceInput in,
            INDArray gates, // activations i, f, g, o: [TB, 4H]
            INDArray prevHidden, // h' (masked carried state) [TB, H]
            INDArray prevCell, // c' [TB, H]
            INDArray cell, // c_t [TB, H]
            INDArray tanhCell, // tanh(c_t) [TB, H]
            INDArray output) // h_t [TB, H]
            implements Trace {
        @Override
        public INDArray lastHidden() {
            return step(output, in.steps() - 1, in.batch());
        }

        @Override
        public INDArray lastCell() {
            return step(cell, in.steps() - 1, in.batch());
        }
    }

    @Override
    public Trace forward(LayerWeights w, SequenceInput in, INDArray h0, INDArray c0) {
        int steps = in.steps();
        int batch = in.batch();
        long hidden = w.recurrentWeights().rows();
        DataType type = w.inputWeights().dataType();
        long rows = (long) steps * batch;

        INDArray gates = projectInputs(w, in);
        INDArray prevHidden = Nd4j.create(type, rows, hidden);
        INDArray prevCell = Nd4j.create(type, rows, hidden);
        INDArray cell = Nd4j.create(type, rows, hidden);
        INDArray tanhCell = Nd4j.create(type, rows, hidden);
        INDArray output = Nd4j.create(type, rows, hidden);

        INDArray h = h0;
        INDArray c = c0;
        for (int t = 0; t < steps; t++) {
            INDArray keep = step(in.keep(), t, batch);
            INDArray hp = step(prevHidden, t, batch).assign(h).muliColumnVector(keep);
            INDArray cp = step(prevCell, t, batch).assign(c).muliColumnVector(keep);
            INDArray z = step(gates, t, batch);
            Nd4j.gemm(hp, w.recurrentWeights(), z, false, false, 1.0, 1.0);
            Transforms.sigmoid(block(z, 0, 2, hidden), false); // i, f
            Transforms.tanh(block(z, 2, 1, hidden), false); // g
            Transforms.sigmoid(block(z, 3, 1, hidden), false); // o
            INDArray i = block(z, 0, 1, hidden);
            INDArray f = block(z, 1, 1, hidden);
            INDArray g = block(z, 2, 1, hidden);
            INDArray o = block(z, 3, 1, hidden);
            INDArray ct = step(cell, t, batch).assign(f).muli(cp).addi(i.mul(g));
            INDArray tc = Transforms.tanh(step(tanhCell, t, batch).assign(ct), false);
            h = step(output, t, batch).assign(o).muli(tc);
            c = ct;
        }
        return new LstmTrace(in, gates, prevHidden, prevCell, cell, tanhCell, output);
    }

    @Override
    public Backward backward(LayerWeights w, Trace trace, INDArray dOutput, LayerWeights grads) {
        LstmTrace tr = (LstmTrace) trace;
        SequenceInput in = tr.in();
        int steps = in.steps();
        int batch = in.batch();
        long hidden = w.recurrentWeights().rows();
        DataType type = w.inputWeights().dataType();
        INDArray dGates = Nd4j.create(type, (long) steps * batch, 4 * hidden);

        INDArray dhNext = Nd4j.zeros(type, batch, hidden);
        INDArray dcNext = Nd4j.zeros(type, batch, hidden);
        INDArray dhPrev = Nd4j.create(type, batch, hidden);
        for (int t = steps - 1; t >= 0; t--) {
            INDArray keep = step(in.keep(), t, batch);
            INDArray a = step(tr.gates(), t, batch);
            INDArray i = block(a, 0, 1, hidden);
            INDArray f = block(a, 1, 1, hidden);
            INDArray g = block(a, 2, 1, hidden);
            INDArray o = block(a, 3, 1, hidden);
            INDArray tc = step(tr.tanhCell(), t, batch);
            INDArray cp = step(tr.prevCell(), t, batch);
            INDArray dz = step(dGates, t, batch);

            INDArray dh = step(dOutput, t, batch).add(dhNext);
            // dz_o = dh * tanh(c) * o(1-o)
            block(dz, 3, 1, hidden).assign(dh).muli(tc).muli(o).muli(o.rsub(1.0));
            // dc = dc_next + dh * o * (1 - tanh(c)^2)
            INDArray dc = tc.mul(tc).rsubi(1.0).muli(o).muli(dh).addi(dcNext);
            // dz_i = dc * g * i(1-i);  dz_f = dc * c' * f(1-f);  dz_g = dc * i * (1-g^2)
            block(dz, 0, 1, hidden).assign(dc).muli(g).muli(i).muli(i.rsub(1.0));
            block(dz, 1, 1, hidden).assign(dc).muli(cp).muli(f).muli(f.rsub(1.0));
            block(dz, 2, 1, hidden).assign(dc).muli(i).muli(g.mul(g).rsubi(1.0));
            // into the carried state, through the keep mask
            dcNext = dc.muli(f).muliColumnVector(keep);
            Nd4j.gemm(dz, w.recurrentWeights(), dhPrev, false, true, 1.0, 0.0);
            dhNext = dhPrev.mulColumnVector(keep);
        }
        INDArray dInput = accumulateWeightGradients(w, in, tr.prevHidden(), dGates, grads);
        return new Backward(dInput, dhNext, dcNext);
    }

    /** {@code x Wx + b (+ v Wv)} for every step at once: {@code [steps * batch, G]}. */
    static INDArray projectInputs(LayerWeights w, SequenceInput in) {
        INDArray z = in.input().mmul(w.inputWeights());
        z.addiRowVector(w.bias());
        if (in.conditioning() != null) {
            INDArray perStream = in.conditioning().mmul(w.conditioningWeights());
            for (int t = 0; t < in.steps(); t++) {
                step(z, t, in.batch()).addi(perStream);
            }
        }
        return z;
    }

    /**
     * Weight gradients of a whole window from the pre-activation gradients {@code dz}, each one
     * matrix product, and the gradient of the layer's input.
     */
    static INDArray accumulateWeightGradients(
            LayerWeights w, SequenceInput in, INDArray prevHidden, INDArray dz, LayerWeights grads) {
        Nd4j.gemm(prevHidden, dz, grads.recurrentWeights(), true, false, 1.0, 1.0);
        Nd4j.gemm(in.input(), dz, grads.inputWeights(), true, false, 1.0, 1.0);
        grads.bias().addi(dz.sum(true, 0));
        if (in.conditioning() != null) {
            INDArray perStream = Nd4j.zeros(dz.dataType(), in.batch(), dz.columns());
            for (int t = 0; t < in.steps(); t++) {
                perStream.addi(step(dz, t, in.batch()));
            }
            Nd4j.gemm(in.conditioning(), perStream, grads.conditioningWeights(), true, false, 1.0, 1.0);
        }
        INDArray dInput = Nd4j.create(dz.dataType(), dz.rows(), w.inputWeights().rows());
        Nd4j.gemm(dz, w.inputWeights(), dInput, false, true, 1.0, 0.0);
        return dInput;
    }

    /** Columns {@code [first * hidden, (first + count) * hidden)}: one or more gate blocks, a view. */
    static INDArray block(INDArray a, int first, int count, long hidden) {
        return a.get(NDArrayIndex.all(), NDArrayIndex.interval(first * hidden, (first + count) * hidden));
    }
}
