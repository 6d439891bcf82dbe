package dev.streaminglstm.core.model;

import dev.streaminglstm.core.kernel.NativeFloats;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/**
 * A model's named arrays in canonical order ({@link ParameterNames#specs}). The same type holds
 * parameters, their gradients, and optimiser moments, which all share names and shapes.
 */
public final class ParameterSet {
    private final ModelConfig config;
    private final LinkedHashMap<String, INDArray> arrays;

    private ParameterSet(ModelConfig config, LinkedHashMap<String, INDArray> arrays) {
        this.config = config;
        this.arrays = arrays;
    }

    /**
     * Fresh parameters, deterministic for a seed: recurrent and head weights uniform in
     * {@code ±1/sqrt(hidden)} (input weights {@code ±1/sqrt(inputSize)}), embedding rows N(0, 1),
     * biases 0 except the LSTM forget gate, which starts at 1.
     */
    public static ParameterSet initialize(ModelConfig config, DataType dataType, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        LinkedHashMap<String, INDArray> arrays = new LinkedHashMap<>();
        for (ParameterNames.Spec spec : ParameterNames.specs(config)) {
            int n = Math.toIntExact(spec.rows() * spec.columns());
            double[] values = new double[n];
            String name = spec.name();
            if (name.equals(ParameterNames.EMBEDDING)) {
                for (int i = 0; i < n; i++) {
                    values[i] = gaussian(random);
                }
            } else if (name.endsWith(".b") || name.equals(ParameterNames.HEAD_BIAS)) {
                if (config.cellType() == CellType.LSTM && !name.equals(ParameterNames.HEAD_BIAS)) {
                    int h = config.hiddenSize();
                    for (int i = h; i < 2 * h; i++) {
                        values[i] = 1.0; // forget gate: remember by default
                    }
                }
            } else {
                double k = 1.0 / Math.sqrt(name.endsWith(".Wx") ? spec.rows() : config.hiddenSize());
                for (int i = 0; i < n; i++) {
                    values[i] = (random.nextDouble() * 2 - 1) * k;
                }
            }
            arrays.put(name, Nd4j.create(values, new long[] {spec.rows(), spec.columns()}, dataType));
        }
        return new ParameterSet(config, arrays);
    }

    /** Zeros of the given shape and type. */
    public static ParameterSet zeros(ModelConfig config, DataType dataType) {
        LinkedHashMap<String, INDArray> arrays = new LinkedHashMap<>();
        for (ParameterNames.Spec spec : ParameterNames.specs(config)) {
            arrays.put(spec.name(), Nd4j.zeros(dataType, spec.rows(), spec.columns()));
        }
        return new ParameterSet(config, arrays);
    }

    /**
     * Wraps arrays given by name; every name of the model's shape must be present with its shape,
     * and nothing else.
     *
     * @throws IllegalArgumentException naming the first missing, extra or misshapen array
     */
    public static ParameterSet of(ModelConfig config, Map<String, INDArray> byName) {
        LinkedHashMap<String, INDArray> arrays = new LinkedHashMap<>();
        DataType type = null;
        for (ParameterNames.Spec spec : ParameterNames.specs(config)) {
            INDArray a = byName.get(spec.name());
            if (a == null) {
                throw new IllegalArgumentException("missing array '" + spec.name() + "'");
            }
            if (a.rank() != 2 || a.rows() != spec.rows() || a.columns() != spec.columns()) {
                throw new IllegalArgumentException("array '" + spec.name() + "' has shape "
                        + java.util.Arrays.toString(a.shape()) + ", expected [" + spec.rows() + ", "
                        + spec.columns() + "]");
            }
            if (type != null && a.dataType() != type) {
                throw new IllegalArgumentException("array '" + spec.name() + "' is " + a.dataType()
                        + " but the others are " + type);
            }
            type = a.dataType();
            arrays.put(spec.name(), a);
        }
        if (byName.size() != arrays.size()) {
            List<String> extra = new ArrayList<>(byName.keySet());
            extra.removeAll(arrays.keySet());
            throw new IllegalArgumentException("unexpected arrays " + extra);
        }
        return new ParameterSet(config, arrays);
    }

    public ModelConfig config() {
        return config;
    }

    public INDArray get(String name) {
        INDArray a = arrays.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no array named '" + name + "'");
        }
        return a;
    }

    /** Names in canonical order. */
    public List<String> names() {
        return Collections.unmodifiableList(new ArrayList<>(arrays.keySet()));
    }

    /** Name to array, in canonical order (live arrays, not copies). */
    public Map<String, INDArray> asMap() {
        return Collections.unmodifiableMap(arrays);
    }

    public DataType dataType() {
        return arrays.values().iterator().next().dataType();
    }

    /** Number of scalars over all arrays. */
    public long size() {
        long n = 0;
        for (INDArray a : arrays.values()) {
            n += a.length();
        }
        return n;
    }

    /** A deep copy. */
    public ParameterSet copy() {
        return castTo(dataType());
    }

    /** A deep copy in another floating type. */
    public ParameterSet castTo(DataType type) {
        LinkedHashMap<String, INDArray> copy = new LinkedHashMap<>();
        arrays.forEach((k, v) -> copy.put(k, v.castTo(type).dup()));
        return new ParameterSet(config, copy);
    }

    /** Zeros of this set's shape and type. */
    public ParameterSet zerosLike() {
        return zeros(config, dataType());
    }

    /** Whether every value is finite (no NaN, no infinity); huge finite values count as finite. */
    public boolean allFinite() {
        for (INDArray a : arrays.values()) {
            if (BooleanIndexing.or(a, Conditions.isNan()) || BooleanIndexing.or(a, Conditions.isInfinite())) {
                return false;
            }
        }
        return true;
    }

    /** Every value as one float array, arrays in canonical order, each row-major. */
    public float[] toFlatFloats() {
        float[] out = new float[Math.toIntExact(size())];
        int offset = 0;
        for (INDArray a : arrays.values()) {
            float[] values = a.castTo(DataType.FLOAT).ravel().toFloatVector();
            System.arraycopy(values, 0, out, offset, values.length);
            offset += values.length;
        }
        return out;
    }

    /**
     * The inverse of {@link #toFlatFloats}: arrays of the given shape and type from one float array.
     *
     * @throws IllegalArgumentException if the length does not match the shape
     */
    public static ParameterSet fromFlatFloats(ModelConfig config, float[] values, DataType dataType) {
        LinkedHashMap<String, INDArray> arrays = new LinkedHashMap<>();
        int offset = 0;
        for (ParameterNames.Spec spec : ParameterNames.specs(config)) {
            int n = Math.toIntExact(spec.rows() * spec.columns());
            if (offset + n > values.length) {
                throw new IllegalArgumentException("flat parameters of " + values.length + " values are too short for "
                        + config);
            }
            float[] part = java.util.Arrays.copyOfRange(values, offset, offset + n);
            arrays.put(spec.name(), Nd4j.create(part, new long[] {spec.rows(), spec.columns()}, 'c').castTo(dataType));
            offset += n;
        }
        if (offset != values.length) {
            throw new IllegalArgumentException("flat parameters of " + values.length + " values, the shape takes " + offset);
        }
        return new ParameterSet(config, arrays);
    }

    /**
     * In place: {@code this += scale * values}, {@code values} flat in {@link #toFlatFloats}'s order. The same floats
     * as {@code addi(fromFlatFloats(values).muli(scale))} without building the arrays ({@code ParameterSetTest}).
     *
     * @throws IllegalArgumentException if the length does not match the shape
     */
    public ParameterSet addFlat(float[] values, double scale) {
        requireFlatLength(values);
        float factor = (float) scale;
        int offset = 0;
        float[] chunk = null;
        for (INDArray a : arrays.values()) {
            int n = (int) a.length();
            FloatBuffer dense = NativeFloats.dense(a);
            if (dense == null) {
                INDArray part = Nd4j.create(java.util.Arrays.copyOfRange(values, offset, offset + n), a.shape(), 'c');
                a.addi((scale == 1 ? part : part.muli(scale)).castTo(a.dataType()));
            } else {
                chunk = chunk == null ? new float[NativeFloats.CHUNK] : chunk;
                for (int from = 0; from < n; from += chunk.length) {
                    int len = Math.min(chunk.length, n - from);
                    dense.get(from, chunk, 0, len);
                    int v = offset + from;
                    if (scale == 1) {
                        for (int i = 0; i < len; i++) {
                            chunk[i] += values[v + i];
                        }
                    } else {
                        for (int i = 0; i < len; i++) {
                            chunk[i] += values[v + i] * factor;
                        }
                    }
                    dense.put(from, chunk, 0, len);
                }
            }
            offset += n;
        }
        return this;
    }

    /**
     * {@code this - other}, flat in {@link #toFlatFloats}'s order: the same floats as
     * {@code copy().subi(other).toFlatFloats()} without the copy.
     */
    public float[] minusFlat(ParameterSet other) {
        requireSameShape(other);
        float[] out = new float[Math.toIntExact(size())];
        int offset = 0;
        float[] theirs = null;
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            INDArray a = e.getValue();
            INDArray b = other.arrays.get(e.getKey());
            int n = (int) a.length();
            FloatBuffer mine = NativeFloats.dense(a);
            FloatBuffer subtrahend = NativeFloats.dense(b);
            if (mine == null || subtrahend == null) {
                float[] d = a.castTo(DataType.FLOAT).sub(b.castTo(DataType.FLOAT)).ravel().toFloatVector();
                System.arraycopy(d, 0, out, offset, n);
            } else {
                theirs = theirs == null ? new float[NativeFloats.CHUNK] : theirs;
                for (int from = 0; from < n; from += theirs.length) {
                    int len = Math.min(theirs.length, n - from);
                    mine.get(from, out, offset + from, len);
                    subtrahend.get(from, theirs, 0, len);
                    int o = offset + from;
                    for (int i = 0; i < len; i++) {
                        out[o + i] -= theirs[i];
                    }
                }
            }
            offset += n;
        }
        return out;
    }

    private void requireFlatLength(float[] values) {
        if (values.length != size()) {
            throw new IllegalArgumentException("flat parameters of " + values.length + " values, the shape takes "
                    + size());
        }
    }

    /** In place: {@code this *= factor}. */
    public ParameterSet muli(double factor) {
        arrays.values().forEach(a -> a.muli(factor));
        return this;
    }

    /** In place: {@code this += other}. */
    public ParameterSet addi(ParameterSet other) {
        forEachPair(other, INDArray::addi);
        return this;
    }

    /** In place: {@code this -= other}. */
    public ParameterSet subi(ParameterSet other) {
        forEachPair(other, INDArray::subi);
        return this;
    }

    /** In place: copies other's values into this set's arrays. */
    public ParameterSet assign(ParameterSet other) {
        forEachPair(other, INDArray::assign);
        return this;
    }

    /** Calls {@code action(mine, theirs)} for each pair of arrays of the same name. */
    public void forEachPair(ParameterSet other, BiConsumer<INDArray, INDArray> action) {
        requireSameShape(other);
        for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
            action.accept(e.getValue(), other.arrays.get(e.getKey()));
        }
    }

    private void requireSameShape(ParameterSet other) {
        if (!config.equals(other.config)) {
            throw new IllegalArgumentException("parameter sets of different shapes: " + config + " vs " + other.config);
        }
    }

    private static double gaussian(SplittableRandom random) {
        double u1 = random.nextDouble();
        double u2 = random.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
