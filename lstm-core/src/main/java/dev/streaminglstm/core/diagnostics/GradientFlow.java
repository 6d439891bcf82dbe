package dev.streaminglstm.core.diagnostics;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.LayerWeights;
import dev.streaminglstm.core.nn.LstmLayer;
import dev.streaminglstm.core.nn.RecurrentLayer;
import dev.streaminglstm.core.nn.RnnLayer;
import dev.streaminglstm.core.nn.SequenceInput;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * How far back a gradient reaches: for a loss at step {@code d} only, the norm of its gradient
 * with respect to the state before step 1 ({@code dL/dh_0}, and for an LSTM together with
 * {@code dL/dc_0}), for d = 1..N. A vanilla RNN multiplies the gradient by {@code Wh^T diag(tanh')}
 * at every step, so it vanishes (or explodes); an LSTM's cell path multiplies it only by the
 * forget gates, so it lives as long as they stay open. Double precision, random inputs.
 */
public final class GradientFlow {

    /**
     * One curve of gradient norms against distance.
     *
     * @param label what was measured
     * @param distances the distances measured, ascending, the first being 1
     * @param norms {@code norms[i]} is the gradient norm for a loss {@code distances[i]} steps after the state
     */
    public record Curve(String label, int[] distances, double[] norms) {
        /** The norm at a measured distance relative to the norm at distance 1. */
        public double relative(int distance) {
            for (int i = 0; i < distances.length; i++) {
                if (distances[i] == distance) {
                    return norms[i] / norms[0];
                }
            }
            throw new IllegalArgumentException("distance " + distance + " was not measured");
        }
    }

    /** The distances the report measures, up to {@code steps}. */
    public static int[] reportDistances(int steps) {
        return java.util.stream.IntStream.concat(
                        java.util.stream.IntStream.of(1, 2, 5, 10, 20, 50, 100, 200, 500).filter(d -> d < steps),
                        java.util.stream.IntStream.of(steps))
                .toArray();
    }

    /** The setting of one measurement. */
    public record Setting(String label, CellType cell, double recurrentScale, double forgetBias) {}

    private GradientFlow() {}

    /** The settings of the report: the RNN at two weight scales, the LSTM with forget bias 1 and 3. */
    public static List<Setting> standardSettings() {
        return List.of(
                new Setting("RNN, default init", CellType.RNN, 1.0, 0),
                new Setting("RNN, recurrent weights x4", CellType.RNN, 4.0, 0),
                new Setting("LSTM, forget bias 1 (default)", CellType.LSTM, 1.0, 1.0),
                new Setting("LSTM, forget bias 3", CellType.LSTM, 1.0, 3.0));
    }

    /** Measures one setting at the given distances (ascending, starting at 1), with the given widths. */
    public static Curve measure(Setting setting, int[] distances, int hidden, int input, long seed) {
        int steps = distances[distances.length - 1];
        ModelConfig config = new ModelConfig(2, input, hidden, 1, setting.cell(), 0);
        ParameterSet params = ParameterSet.initialize(config, DataType.DOUBLE, seed);
        params.get(ParameterNames.recurrentWeights(0)).muli(setting.recurrentScale());
        if (setting.cell() == CellType.LSTM) {
            params.get(ParameterNames.bias(0)).get(
                    org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(hidden, 2L * hidden)).assign(setting.forgetBias());
        }
        SplittableRandom random = new SplittableRandom(seed + 1);
        INDArray x = gaussian(random, steps, input);
        INDArray h0 = gaussian(random, 1, hidden).muli(0.1);
        INDArray c0 = setting.cell() == CellType.LSTM ? gaussian(random, 1, hidden).muli(0.1) : null;
        INDArray direction = gaussian(random, 1, hidden);
        direction.divi(direction.norm2Number());

        RecurrentLayer layer = setting.cell() == CellType.LSTM ? new LstmLayer() : new RnnLayer();
        LayerWeights weights = LayerWeights.of(params, 0);
        SequenceInput in = new SequenceInput(x, Nd4j.ones(DataType.DOUBLE, steps, 1), null, steps, 1);
        RecurrentLayer.Trace trace = layer.forward(weights, in, h0, c0);
        double[] norms = new double[distances.length];
        for (int i = 0; i < distances.length; i++) {
            int d = distances[i];
            INDArray dOutput = Nd4j.zeros(DataType.DOUBLE, steps, hidden);
            dOutput.putRow(d - 1, direction);
            RecurrentLayer.Backward back =
                    layer.backward(weights, trace, dOutput, LayerWeights.of(params.zerosLike(), 0));
            double sq = Math.pow(back.dHidden0().norm2Number().doubleValue(), 2);
            if (back.dCell0() != null) {
                sq += Math.pow(back.dCell0().norm2Number().doubleValue(), 2);
            }
            norms[i] = Math.sqrt(sq);
        }
        return new Curve(setting.label(), distances, norms);
    }

    /** Measures every standard setting and prints a table of norms at chosen distances. */
    public static List<Curve> report(PrintStream out, int steps, int hidden, int input, long seed) {
        int[] distances = reportDistances(steps);
        List<Curve> curves = new ArrayList<>();
        for (Setting s : standardSettings()) {
            curves.add(measure(s, distances, hidden, input, seed));
        }
        out.printf("|dL/d(h0,c0)| for a loss d steps later, relative to d = 1 (hidden %d, input %d, seed %d)%n",
                hidden, input, seed);
        out.printf("%-32s", "d");
        for (int d : distances) {
            out.printf("%11d", d);
        }
        out.println();
        for (Curve c : curves) {
            out.printf("%-32s", c.label());
            for (int d : distances) {
                out.printf("%11.2e", c.relative(d));
            }
            out.println();
        }
        return curves;
    }

    private static INDArray gaussian(SplittableRandom random, int rows, int columns) {
        double[] v = new double[rows * columns];
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
        }
        return Nd4j.create(v, new long[] {rows, columns}, DataType.DOUBLE);
    }
}
