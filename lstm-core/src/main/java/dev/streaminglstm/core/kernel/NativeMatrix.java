package dev.streaminglstm.core.kernel;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A dense row-major FLOAT matrix in an ND4J array's native memory, which BLAS reads and writes in
 * place and Java copies rows of in bulk. Whole rows are contiguous, so any run of rows is itself a
 * dense matrix ({@link Block}).
 */
final class NativeMatrix {
    private final INDArray array;
    private final INDArray origin;
    private final FloatPointer base;
    private final FloatBuffer buffer;
    private final int rows;
    private final int columns;

    private NativeMatrix(INDArray array, INDArray origin) {
        this.array = array;
        this.origin = origin;
        this.rows = Math.toIntExact(array.rows());
        this.columns = Math.toIntExact(array.columns());
        this.base = new FloatPointer(array.data().addressPointer());
        this.buffer = NativeFloats.dense(array);
    }

    /** A new matrix with unspecified contents: every entry must be written before it is read. */
    static NativeMatrix uninitialized(long rows, long columns) {
        return new NativeMatrix(Nd4j.createUninitialized(DataType.FLOAT, rows, columns), null);
    }

    /**
     * A new {@code [rows, columns]} matrix holding {@code values} (row-major), copied in bulk
     * ({@code Nd4j.create(float[], ...)} copies element by element, about 10 ns each).
     */
    static NativeMatrix of(float[] values, long rows, long columns) {
        if (values.length != rows * columns) {
            throw new IllegalArgumentException(values.length + " values for a [" + rows + ", " + columns + "] matrix");
        }
        NativeMatrix m = uninitialized(rows, columns);
        m.write(0, values, 0, values.length);
        return m;
    }

    /**
     * The matrix {@code a} itself when it is a dense row-major FLOAT matrix, else a dense FLOAT copy;
     * {@link #writeBack} copies a copy's contents back into {@code a}.
     */
    static NativeMatrix of(INDArray a) {
        if (a.rank() != 2) {
            throw new IllegalArgumentException("expected a matrix, got shape " + java.util.Arrays.toString(a.shape()));
        }
        if (NativeFloats.dense(a) != null) {
            return new NativeMatrix(a, null);
        }
        return new NativeMatrix(a.castTo(DataType.FLOAT).dup('c'), a);
    }

    /** The ND4J array over this memory. */
    INDArray array() {
        return array;
    }

    int rows() {
        return rows;
    }

    int columns() {
        return columns;
    }

    /** The whole matrix as a block. */
    Block all() {
        return rows(0, rows);
    }

    /** Rows {@code [first, first + count)}: a dense {@code [count, columns]} matrix over the same memory. */
    Block rows(long first, int count) {
        if (first < 0 || count < 0 || first + count > rows) {
            throw new IndexOutOfBoundsException("rows [" + first + ", " + (first + count) + ") of " + rows);
        }
        return new Block(new FloatPointer(base).position(base.position() + first * columns), count, columns, columns);
    }

    /** Copies {@code count} floats starting at row {@code row} into {@code target[offset..]}. */
    void read(long row, float[] target, int offset, int count) {
        read(row, 0, target, offset, count);
    }

    /** Copies {@code count} floats starting at {@code (row, column)} into {@code target[offset..]}. */
    void read(long row, int column, float[] target, int offset, int count) {
        buffer.get(Math.toIntExact(row * columns + column), target, offset, count);
    }

    /** Copies {@code source[offset..offset + count)} into this matrix starting at row {@code row}. */
    void write(long row, float[] source, int offset, int count) {
        write(row, 0, source, offset, count);
    }

    /** Copies {@code source[offset..offset + count)} into this matrix starting at {@code (row, column)}. */
    void write(long row, int column, float[] source, int offset, int count) {
        buffer.put(Math.toIntExact(row * columns + column), source, offset, count);
    }

    /** All entries, row-major, on the heap. */
    float[] toHeap() {
        float[] values = new float[rows * columns];
        read(0, values, 0, values.length);
        return values;
    }

    /** When this is a copy made by {@link #of(INDArray)}, copies its contents back into the original. */
    void writeBack() {
        if (origin != null) {
            origin.assign(array);
        }
    }

    /**
     * A row-major {@code [rows, columns]} block of native floats, whose rows start {@code stride}
     * floats apart (BLAS's leading dimension): what BLAS reads or writes.
     *
     * @param pointer the first element
     */
    record Block(FloatPointer pointer, int rows, int columns, int stride) {
        /** Row {@code r} as a block of one row. */
        Block row(int r) {
            return rows(r, 1);
        }

        /** Rows {@code [first, first + count)}. */
        Block rows(int first, int count) {
            if (first < 0 || count < 0 || first + count > rows) {
                throw new IndexOutOfBoundsException("rows [" + first + ", " + (first + count) + ") of " + rows);
            }
            return new Block(offset((long) first * stride), count, columns, stride);
        }

        /** Columns {@code [first, first + count)} of every row. */
        Block columns(int first, int count) {
            if (first < 0 || count < 0 || first + count > columns) {
                throw new IndexOutOfBoundsException("columns [" + first + ", " + (first + count) + ") of " + columns);
            }
            return new Block(offset(first), rows, count, stride);
        }

        private FloatPointer offset(long floats) {
            return new FloatPointer(pointer).position(pointer.position() + floats);
        }
    }
}
