package dev.streaminglstm.core.format;

import dev.streaminglstm.core.model.ParameterSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The exact bit patterns of a set of arrays, for bit-for-bit comparisons in tests. */
public final class ParameterBits {
    private ParameterBits() {}

    /** Name to the raw bits of each value (float bits widened to long), in canonical order. */
    public static Map<String, long[]> of(ParameterSet set) {
        Map<String, long[]> bits = new LinkedHashMap<>();
        set.asMap().forEach((name, array) -> bits.put(name, of(array)));
        return bits;
    }

    /** The raw bits of each value of one array, row-major; the type tag keeps FLOAT and DOUBLE apart. */
    public static long[] of(INDArray array) {
        INDArray dense = array.dup('c');
        long n = dense.length();
        long[] bits = new long[Math.toIntExact(n) + 1];
        bits[0] = dense.dataType().ordinal();
        if (dense.dataType() == DataType.FLOAT) {
            float[] values = dense.data().asFloat();
            for (int i = 0; i < n; i++) {
                bits[i + 1] = Float.floatToRawIntBits(values[i]);
            }
        } else {
            double[] values = dense.data().asDouble();
            for (int i = 0; i < n; i++) {
                bits[i + 1] = Double.doubleToRawLongBits(values[i]);
            }
        }
        return bits;
    }
}
