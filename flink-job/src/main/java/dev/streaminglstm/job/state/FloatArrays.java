package dev.streaminglstm.job.state;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ShortBuffer;

/**
 * Float arrays in the operators' own state: a 4-byte length, then the values big-endian (the bytes
 * {@link DataOutput#writeFloat} writes, in one bulk copy), or for values that are all float16 values, 2 bytes each. A length is checked against what is left before
 * anything is allocated.
 */
public final class FloatArrays {
    private FloatArrays() {}

    public static void write(DataOutput out, float[] values) throws IOException {
        out.writeInt(values.length);
        ByteBuffer bytes = ByteBuffer.allocate(4 * values.length);
        bytes.asFloatBuffer().put(values);
        out.write(bytes.array());
    }

    /**
     * Reads an array {@link #write} wrote.
     *
     * @param available bytes left in the input, an upper bound for the array
     */
    public static float[] read(DataInput in, long available) throws IOException {
        int n = in.readInt();
        if (n < 0 || 4L * n > available) {
            throw new IOException("a float array of " + n + " values where at most " + available + " bytes are left");
        }
        byte[] bytes = new byte[4 * n];
        in.readFully(bytes);
        float[] values = new float[n];
        ByteBuffer.wrap(bytes).asFloatBuffer().get(values);
        return values;
    }

    /**
     * Writes values that are all float16 values ({@link HalfFloats#allHalf}) in 2 bytes each: a 4-byte length, then
     * each value's float16 big-endian.
     */
    public static void writeHalves(DataOutput out, float[] values) throws IOException {
        out.writeInt(values.length);
        ByteBuffer bytes = ByteBuffer.allocate(2 * values.length);
        ShortBuffer halves = bytes.asShortBuffer();
        for (float v : values) {
            halves.put(HalfFloats.fromFloat(v));
        }
        out.write(bytes.array());
    }

    /**
     * Reads an array {@link #writeHalves} wrote.
     *
     * @param available bytes left in the input, an upper bound for the array
     */
    public static float[] readHalves(DataInput in, long available) throws IOException {
        int n = in.readInt();
        if (n < 0 || 2L * n > available) {
            throw new IOException("a float16 array of " + n + " values where at most " + available
                    + " bytes are left");
        }
        byte[] bytes = new byte[2 * n];
        in.readFully(bytes);
        ShortBuffer halves = ByteBuffer.wrap(bytes).asShortBuffer();
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = HalfFloats.toFloat(halves.get(i));
        }
        return values;
    }
}
