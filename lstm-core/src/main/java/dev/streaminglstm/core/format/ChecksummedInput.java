package dev.streaminglstm.core.format;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * The reading side of our binary formats (see {@link ChecksummedOutput}): bounded reads that
 * never allocate more than the caller allows nor more than the input holds, a running CRC-32C,
 * and truncation reported as {@link ModelFormatException} with how many bytes there were and how
 * many were expected. Never reads past the checksum.
 */
public final class ChecksummedInput {
    private final InputStream in;
    private final String noun;
    private final CRC32C crc = new CRC32C();
    private final byte[] scratch = new byte[8];
    private long position;
    private long expectedTotal = -1;

    /**
     * @param in the stream, read unbuffered in bulk (wrap a slow stream in a buffer yourself)
     * @param noun what is being read, for messages ("file", "optimizer state")
     */
    public ChecksummedInput(InputStream in, String noun) {
        this.in = in;
        this.noun = noun;
    }

    /** Bytes consumed so far. */
    public long position() {
        return position;
    }

    /** Declares the total length, checksum included, once the header makes it known; used in messages. */
    public void expectTotal(long totalBytes) {
        this.expectedTotal = totalBytes;
    }

    /**
     * Reads and checks a magic number.
     *
     * @throws ModelFormatException "{@code not a <what>}" if the bytes differ (or the input is
     *     empty), or truncated if the input ends inside a matching prefix
     */
    public void readMagic(byte[] magic, String what) throws IOException {
        byte[] actual = new byte[magic.length];
        int n = in.readNBytes(actual, 0, magic.length);
        position += n;
        if (n == 0) {
            throw new ModelFormatException("empty input: not a " + what);
        }
        if (!Arrays.equals(actual, 0, n, magic, 0, n)) {
            throw new ModelFormatException("not a " + what + " (bad magic number)");
        }
        if (n < magic.length) {
            throw truncated(magic.length - n);
        }
        crc.update(actual);
    }

    public int readInt() throws IOException {
        readFully(scratch, 4);
        return ByteBuffer.wrap(scratch, 0, 4).getInt();
    }

    public long readLong() throws IOException {
        readFully(scratch, 8);
        return ByteBuffer.wrap(scratch, 0, 8).getLong();
    }

    /**
     * A string written by {@link ChecksummedOutput#writeString}.
     *
     * @throws ModelFormatException if its length is negative or above {@code maxBytes} (checked
     *     before allocating), or it is not valid UTF-8
     */
    public String readString(int maxBytes, String what) throws IOException {
        int length = readInt();
        if (length < 0 || length > maxBytes) {
            throw new ModelFormatException(
                    what + " has a length of " + length + " bytes, outside [0, " + maxBytes + "]");
        }
        byte[] bytes = readBytes(length);
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(what + " is not valid UTF-8", e);
        }
    }

    /**
     * Exactly {@code n} bytes; the caller bounds {@code n} before calling. Memory is taken as the bytes arrive, in
     * small pieces, never for all {@code n} at once: a header that claims more than the input holds costs no more
     * than the input.
     */
    public byte[] readBytes(int n) throws IOException {
        byte[] bytes = in.readNBytes(n);
        position += bytes.length;
        if (bytes.length < n) {
            throw truncated(n - bytes.length);
        }
        crc.update(bytes);
        return bytes;
    }

    /**
     * Reads the stored CRC-32C and compares it with the one of everything read before it.
     *
     * @throws ModelFormatException "checksum mismatch" if they differ
     */
    public void verifyChecksum() throws IOException {
        int computed = (int) crc.getValue();
        int n = in.readNBytes(scratch, 0, 4);
        position += n;
        if (n < 4) {
            throw truncated(4 - n);
        }
        int stored = ByteBuffer.wrap(scratch, 0, 4).getInt();
        if (stored != computed) {
            throw new ModelFormatException(String.format(
                    "checksum mismatch: the %s stores CRC-32C %08x but its content has %08x",
                    noun, stored, computed));
        }
    }

    private void readFully(byte[] into, int n) throws IOException {
        int read = in.readNBytes(into, 0, n);
        position += read;
        if (read < n) {
            throw truncated(n - read);
        }
        crc.update(into, 0, n);
    }

    private ModelFormatException truncated(int missing) {
        if (expectedTotal >= 0) {
            return new ModelFormatException(noun + " ends after " + position + " bytes, expected " + expectedTotal);
        }
        return new ModelFormatException(
                noun + " ends after " + position + " bytes, expected at least " + (position + missing));
    }
}
