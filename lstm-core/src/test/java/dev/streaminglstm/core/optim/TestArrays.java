package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Deterministic parameter sets and flat views of them for the optimiser tests. */
final class TestArrays {
    private TestArrays() {}

    /** Values uniform in {@code [-scale, scale)} for every array of the shape. */
    static ParameterSet random(ModelConfig config, DataType type, long seed, double scale) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        for (ParameterNames.Spec spec : ParameterNames.specs(config)) {
            double[] values = new double[Math.toIntExact(spec.rows() * spec.columns())];
            for (int i = 0; i < values.length; i++) {
                values[i] = (random.nextDouble() * 2 - 1) * scale;
            }
            arrays.put(spec.name(), Nd4j.create(values, new long[] {spec.rows(), spec.columns()}, type));
        }
        return ParameterSet.of(config, arrays);
    }

    /** Every value of the set in canonical order, as double. */
    static double[] flat(ParameterSet set) {
        double[] out = new double[Math.toIntExact(set.size())];
        int offset = 0;
        for (String name : set.names()) {
            double[] values = set.get(name).castTo(DataType.DOUBLE).dup('c').data().asDouble();
            System.arraycopy(values, 0, out, offset, values.length);
            offset += values.length;
        }
        return out;
    }
}
