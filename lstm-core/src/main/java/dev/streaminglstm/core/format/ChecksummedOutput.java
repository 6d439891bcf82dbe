package dev.streaminglstm.core.format;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The writing side of our binary formats: big-endian fields over a buffered stream, a CRC-32C of
 * everything written, and {@link #finish()} to append that checksum. The wrapped stream is
 * flushed, never closed.
 */
public final class ChecksummedOutput {
    /** Values converted per chunk when writing arrays; bounds the temporary buffer. */
    private static final int CHUNK_VALUES = 1 << 14;

    private final CRC32C crc = new CRC32C();
    private final DataOutputStream raw;
    private final DataOutputStream out;
    private ByteBuffer chunk;

    public ChecksummedOutput(OutputStream sink) {
        this.raw = new DataOutputStream(new BufferedOutputStream(sink, 1 << 16));
        this.out = new DataOutputStream(new CheckedOutputStream(raw, crc));
    }

    public void writeBytes(byte[] bytes) throws IOException {
        out.write(bytes);
    }

    public void writeInt(int value) throws IOException {
        out.writeInt(value);
    }

    public void writeLong(long value) throws IOException {
        out.writeLong(value);
    }

    /**
     * A string as its UTF-8 length (int) and bytes.
     *
     * @throws IllegalArgumentException if its UTF-8 form is longer than {@code maxBytes}
     */
    public void writeString(String value, int maxBytes, String what) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > maxBytes) {
            throw new IllegalArgumentException(
                    what + " is " + bytes.length + " bytes of UTF-8, more than the " + maxBytes + " allowed");
        }
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** Float values, 4 bytes each, in bulk. */
    public void writeFloats(float[] values) throws IOException {
        ByteBuffer buffer = chunk();
        for (int from = 0; from < values.length; from += CHUNK_VALUES) {
            int n = Math.min(CHUNK_VALUES, values.length - from);
            buffer.clear();
            buffer.asFloatBuffer().put(values, from, n);
            out.write(buffer.array(), 0, n * Float.BYTES);
        }
    }

    /** Double values, 8 bytes each, in bulk. */
    public void writeDoubles(double[] values) throws IOException {
        ByteBuffer buffer = chunk();
        for (int from = 0; from < values.length; from += CHUNK_VALUES) {
            int n = Math.min(CHUNK_VALUES, values.length - from);
            buffer.clear();
            buffer.asDoubleBuffer().put(values, from, n);
            out.write(buffer.array(), 0, n * Double.BYTES);
        }
    }

    /** Appends the CRC-32C of everything written so far (not itself included) and flushes. */
    public void finish() throws IOException {
        out.flush();
        raw.writeInt((int) crc.getValue());
        raw.flush();
    }

    private ByteBuffer chunk() {
        if (chunk == null) {
            chunk = ByteBuffer.allocate(CHUNK_VALUES * Double.BYTES);
        }
        return chunk;
    }
}
