package dev.streaminglstm.core.format;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Binary form of named 2-d arrays, shared by the parameter file and the serialised optimiser
 * state. One record is: name (int length, UTF-8), rows (int), columns (int), then the values
 * row-major, big-endian, 4 bytes each for FLOAT and 8 for DOUBLE (the type is stated once, in
 * the enclosing header). A {@link ParameterSet} is its arrays in canonical order
 * ({@link ParameterNames#specs}).
 *
 * <p>Reading checks every name and shape against the expected ones before allocating, and
 * returns {@link EncodedArray}s that are turned into arrays only after the caller has verified
 * the checksum.
 */
public final class ArrayCodec {
    /** Largest name an array record may carry. */
    public static final int MAX_NAME_BYTES = 256;
    /** Largest total size of the values of one set of arrays: 1 GiB. */
    public static final long MAX_VALUE_BYTES = 1L << 30;

    private ArrayCodec() {}

    /** Bytes the record of one array takes. */
    public static long recordLength(ParameterNames.Spec spec, DataType dataType) {
        int valueBytes = dataType == DataType.FLOAT ? Float.BYTES : Double.BYTES;
        return Integer.BYTES + spec.name().getBytes(StandardCharsets.UTF_8).length + 2L * Integer.BYTES
                + spec.rows() * spec.columns() * valueBytes;
    }

    /** Bytes the records of every array of a model header take. */
    public static long setLength(ParameterHeader header) {
        long total = 0;
        for (ParameterNames.Spec spec : ParameterNames.specs(header.config())) {
            total += recordLength(spec, header.dataType());
        }
        return total;
    }

    /** Bytes of the values alone of every array of a model header. */
    public static long valueBytes(ParameterHeader header) {
        long total = 0;
        for (ParameterNames.Spec spec : ParameterNames.specs(header.config())) {
            total += spec.rows() * spec.columns() * header.bytesPerValue();
        }
        return total;
    }

    /**
     * Writes one array's record.
     *
     * @throws IllegalArgumentException if the array is not 2-d FLOAT or DOUBLE
     */
    public static void write(ChecksummedOutput out, String name, INDArray array) throws IOException {
        if (array.rank() != 2) {
            throw new IllegalArgumentException("array '" + name + "' has rank " + array.rank() + ", expected 2");
        }
        ParameterHeader.requireStorable(array.dataType());
        out.writeString(name, MAX_NAME_BYTES, "array name '" + name + "'");
        out.writeInt(Math.toIntExact(array.rows()));
        out.writeInt(Math.toIntExact(array.columns()));
        INDArray dense = dense(array);
        if (array.dataType() == DataType.FLOAT) {
            out.writeFloats(dense.data().asFloat());
        } else {
            out.writeDoubles(dense.data().asDouble());
        }
    }

    /** Writes every array of a set in canonical order. */
    public static void writeAll(ChecksummedOutput out, ParameterSet set) throws IOException {
        for (Map.Entry<String, INDArray> e : set.asMap().entrySet()) {
            write(out, e.getKey(), e.getValue());
        }
    }

    /**
     * Reads the record of array number {@code index} (0-based, of {@code count}), which must be
     * {@code expected}.
     *
     * @throws ModelFormatException if its name or shape differ (checked before reading the values)
     */
    public static EncodedArray read(ChecksummedInput in, ParameterNames.Spec expected, DataType dataType,
            int index, int count) throws IOException {
        String name = in.readString(MAX_NAME_BYTES, "name of array " + (index + 1) + " of " + count);
        if (!name.equals(expected.name())) {
            throw new ModelFormatException("array " + (index + 1) + " of " + count + " is named '" + name
                    + "', expected '" + expected.name() + "'");
        }
        int rows = in.readInt();
        int columns = in.readInt();
        if (rows != expected.rows() || columns != expected.columns()) {
            throw new ModelFormatException("array '" + name + "' has shape [" + rows + ", " + columns
                    + "], expected [" + expected.rows() + ", " + expected.columns() + "]");
        }
        long valueBytes = (long) rows * columns * (dataType == DataType.FLOAT ? Float.BYTES : Double.BYTES);
        if (valueBytes > MAX_VALUE_BYTES) {
            throw new ModelFormatException("array '" + name + "' holds " + valueBytes
                    + " bytes of values, above the limit of " + MAX_VALUE_BYTES);
        }
        byte[] values = in.readBytes((int) valueBytes);
        return new EncodedArray(name, rows, columns, dataType, values);
    }

    /**
     * Reads the records of every array a header names, in canonical order.
     *
     * @throws ModelFormatException if the values would exceed {@link #MAX_VALUE_BYTES} (checked
     *     before reading anything), or a record is not the expected one
     */
    public static List<EncodedArray> readAll(ChecksummedInput in, ParameterHeader header) throws IOException {
        requireWithinLimit(header);
        List<ParameterNames.Spec> specs = ParameterNames.specs(header.config());
        List<EncodedArray> arrays = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            arrays.add(read(in, specs.get(i), header.dataType(), i, specs.size()));
        }
        return arrays;
    }

    /**
     * Checks that a model of this header can be read at all.
     *
     * @throws ModelFormatException if its values would exceed {@link #MAX_VALUE_BYTES}
     */
    public static void requireWithinLimit(ParameterHeader header) throws ModelFormatException {
        long bytes = valueBytes(header);
        if (bytes > MAX_VALUE_BYTES) {
            throw new ModelFormatException("a model of shape " + ParameterHeader.describe(header.config())
                    + " holds " + bytes + " bytes of " + header.dataType() + " values, above the limit of " + MAX_VALUE_BYTES);
        }
    }

    /** Builds the arrays read by {@link #readAll}; call only after the checksum has been verified. */
    public static ParameterSet build(ModelConfig config, List<EncodedArray> encoded) {
        Map<String, INDArray> byName = new LinkedHashMap<>();
        for (EncodedArray e : encoded) {
            byName.put(e.name(), e.toArray());
        }
        return ParameterSet.of(config, byName);
    }

    /** The array itself if its buffer holds exactly its values row-major, otherwise a dense copy. */
    private static INDArray dense(INDArray array) {
        if (!array.isView() && array.ordering() == 'c' && array.data().length() == array.length()) {
            return array;
        }
        return array.dup('c');
    }
}
