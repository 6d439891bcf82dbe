package dev.streaminglstm.core.kernel;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * The work buffers of one thread, kept from one window to the next. A window of B = 128 streams
 * needs about 100 MB of buffers; allocating them afresh each time cost a quarter of a training
 * step (ND4J's allocation and the first touch of new pages, measured with JFR). A buffer taken
 * here has unspecified contents and goes back with {@code give} once nothing reads it; a buffer
 * never given back is garbage-collected as any other. At most {@link #MAX_BYTES} stay kept per
 * thread and kind.
 */
final class Scratch {
    static final long MAX_BYTES = 1L << 30;
    private static final ThreadLocal<Scratch> OF_THREAD = ThreadLocal.withInitial(Scratch::new);

    private final Map<Long, ArrayDeque<NativeMatrix>> matrices = new HashMap<>();
    private final Map<Integer, ArrayDeque<float[]>> arrays = new HashMap<>();
    private long matrixBytes;
    private long arrayBytes;

    private Scratch() {}

    /** The calling thread's buffers. */
    static Scratch ofThread() {
        return OF_THREAD.get();
    }

    /** A {@code [rows, columns]} native matrix with unspecified contents. */
    NativeMatrix matrix(int rows, int columns) {
        NativeMatrix m = pop(matrices, key(rows, columns));
        if (m == null) {
            return NativeMatrix.uninitialized(rows, columns);
        }
        matrixBytes -= bytes(m);
        return m;
    }

    /** A float array of {@code length} with unspecified contents. */
    float[] floats(int length) {
        float[] a = pop(arrays, length);
        if (a == null) {
            return new float[length];
        }
        arrayBytes -= 4L * length;
        return a;
    }

    /** Keeps {@code m} for a later {@link #matrix} call; null is ignored. */
    void give(NativeMatrix m) {
        if (m != null && matrixBytes + bytes(m) <= MAX_BYTES) {
            matrixBytes += bytes(m);
            matrices.computeIfAbsent(key(m.rows(), m.columns()), k -> new ArrayDeque<>()).push(m);
        }
    }

    /** Keeps {@code a} for a later {@link #floats} call; null is ignored. */
    void give(float[] a) {
        if (a != null && arrayBytes + 4L * a.length <= MAX_BYTES) {
            arrayBytes += 4L * a.length;
            arrays.computeIfAbsent(a.length, k -> new ArrayDeque<>()).push(a);
        }
    }

    private static <K, T> T pop(Map<K, ArrayDeque<T>> free, K key) {
        ArrayDeque<T> q = free.get(key);
        return q == null ? null : q.poll();
    }

    private static long key(int rows, int columns) {
        return ((long) rows << 32) | columns;
    }

    private static long bytes(NativeMatrix m) {
        return 4L * m.rows() * m.columns();
    }
}
