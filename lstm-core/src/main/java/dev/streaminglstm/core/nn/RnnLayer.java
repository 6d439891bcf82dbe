package dev.streaminglstm.core.nn;

import static dev.streaminglstm.core.nn.SequenceInput.step;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Vanilla RNN layer: {@code h_t = tanh(Wx x_t + Wh h'_{t-1} + b (+ Wv v))}, with
 * {@code h'_{t-1} = keep_t * h_{t-1}}. Same window-level structure as {@link LstmLayer}.
 */
public final class RnnLayer implements RecurrentLayer {

    record RnnTrace(SequenceInput in, INDArray prevHidden, INDArray output) implements Trace {
        @Override
        public INDArray lastHidden() {
            return step(output, in.steps() - 1, in.batch());
        }

        @Override
        public INDArray lastCell() {
            return null;
        }
    }

    @Override
    public Trace forward(LayerWeights w, SequenceInput in, INDArray h0, INDArray c0) {
        int steps = in.steps();
        int batch = in.batch();
        long hidden = w.recurrentWeights().rows();
        DataType type = w.inputWeights().dataType();
        INDArray output = LstmLayer.projectInputs(w, in); // becomes h_t in place
        INDArray prevHidden = Nd4j.create(type, (long) steps * batch, hidden);
        INDArray h = h0;
        for (int t = 0; t < steps; t++) {
            INDArray hp = step(prevHidden, t, batch).assign(h).muliColumnVector(step(in.keep(), t, batch));
            INDArray z = step(output, t, batch);
            Nd4j.gemm(hp, w.recurrentWeights(), z, false, false, 1.0, 1.0);
            h = Transforms.tanh(z, false);
        }
        return new RnnTrace(in, prevHidden, output);
    }

    @Override
    public Backward backward(LayerWeights w, Trace trace, INDArray dOutput, LayerWeights grads) {
        RnnTrace tr = (RnnTrace) trace;
        SequenceInput in = tr.in();
        int steps = in.steps();
        int batch = in.batch();
        long hidden = w.recurrentWeights().rows();
        DataType type = w.inputWeights().dataType();
        INDArray dz = Nd4j.create(type, (long) steps * batch, hidden);
        INDArray dhNext = Nd4j.zeros(type, batch, hidden);
        INDArray dhPrev = Nd4j.create(type, batch, hidden);
        for (int t = steps - 1; t >= 0; t--) {
            INDArray h = step(tr.output(), t, batch);
            INDArray dzt = step(dz, t, batch);
            // dz = (dOut + dh_next) * (1 - h^2)
            dzt.assign(step(dOutput, t, batch)).addi(dhNext).muli(h.mul(h).rsubi(1.0));
            Nd4j.gemm(dzt, w.recurrentWeights(), dhPrev, false, true, 1.0, 0.0);
            dhNext = dhPrev.mulColumnVector(step(in.keep(), t, batch));
        }
        INDArray dInput = LstmLayer.accumulateWeightGradients(w, in, tr.prevHidden(), dz, grads);
        return new Backward(dInput, dhNext, null);
    }
}
