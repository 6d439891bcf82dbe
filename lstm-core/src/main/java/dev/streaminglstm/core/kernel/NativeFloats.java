package dev.streaminglstm.core.kernel;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Bulk Java access to the native memory of dense FLOAT arrays, for element-wise passes that are
 * cheaper as one Java loop than as several ND4J operations: copy a chunk to the heap, loop
 * (the JIT vectorises it), copy it back.
 */
public final class NativeFloats {
    /** Floats per chunk: 16 KB, so that a few chunks stay in the L1 cache. */
    public static final int CHUNK = 4096;

    private NativeFloats() {}

    /**
     * A buffer over all of {@code a}'s elements in row-major order, or null when {@code a} is not a
     * dense row-major FLOAT array (a view, another type or order), which callers then handle with
     * ND4J operations. Absolute gets and puts on it read and write the array itself.
     */
    public static FloatBuffer dense(INDArray a) {
        if (a.dataType() != DataType.FLOAT || a.ordering() != 'c' || a.isView() || a.offset() != 0
                || a.data().length() != a.length() || a.length() > Integer.MAX_VALUE) {
            return null;
        }
        FloatPointer base = new FloatPointer(a.data().addressPointer());
        return new FloatPointer(base).limit(base.position() + a.length()).asBuffer();
    }
}
