package dev.streaminglstm.core.format;

import java.nio.ByteBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One array as read from a stream, still in its stored big-endian bytes: kept in this form until
 * the whole input's checksum has been verified, so that no array is built from a corrupt file.
 *
 * @param name the array's name
 * @param rows its rows
 * @param columns its columns
 * @param dataType FLOAT or DOUBLE
 * @param values {@code rows * columns} values, 4 or 8 bytes each, row-major
 */
public record EncodedArray(String name, int rows, int columns, DataType dataType, byte[] values) {

    /** The array, {@code [rows, columns]}, row-major, of {@link #dataType}. */
    public INDArray toArray() {
        int n = Math.multiplyExact(rows, columns);
        long[] shape = {rows, columns};
        ByteBuffer buffer = ByteBuffer.wrap(values);
        if (dataType == DataType.FLOAT) {
            float[] data = new float[n];
            buffer.asFloatBuffer().get(data);
            return Nd4j.create(data, shape, 'c');
        }
        double[] data = new double[n];
        buffer.asDoubleBuffer().get(data);
        return Nd4j.create(data, shape, 'c');
    }
}
