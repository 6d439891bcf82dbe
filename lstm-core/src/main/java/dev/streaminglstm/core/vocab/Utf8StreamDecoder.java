package dev.streaminglstm.core.vocab;

import java.util.Arrays;

/**
 * Turns byte-vocabulary tokens that arrive in arbitrary pieces (windows, chunks, single
 * predictions) back into text. A piece may end inside a multi-byte character: the decoder
 * returns every character completed so far and keeps the partial bytes (at most three) until
 * the rest arrives. Those pending bytes can be exported with {@link #pendingBytes()} and given
 * back to {@link #withPending(byte[])}, so a stream operator can keep them in its state.
 *
 * <p>Broken input never fails: each maximal invalid subsequence becomes one U+FFFD (Unicode's
 * recommended practice, as in the WHATWG encoding standard; {@code new String(bytes, UTF_8)} does
 * the same except that it replaces a UTF-8-encoded surrogate as one unit), and a mark
 * ({@code <start>}/{@code <end>}) ends any pending sequence, which then becomes one U+FFFD; the
 * marks themselves produce no text. Not thread-safe.
 */
public final class Utf8StreamDecoder {
    /** The character that stands for a broken sequence. */
    public static final char REPLACEMENT = '\uFFFD';

    private final byte[] pending = new byte[3];
    private int pendingCount;
    /** Length of the sequence the pending bytes start; 0 when nothing is pending. */
    private int sequenceLength;

    /** A decoder with nothing pending. */
    public Utf8StreamDecoder() {}

    /**
     * A decoder that continues after the given pending bytes (as exported by {@link #pendingBytes()}).
     *
     * @throws IllegalArgumentException if the bytes are not the incomplete start of a UTF-8 character
     */
    public static Utf8StreamDecoder withPending(byte[] pendingBytes) {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        if (pendingBytes.length == 0) {
            return decoder;
        }
        int length = sequenceLength(pendingBytes[0] & 0xFF);
        boolean valid = length > pendingBytes.length;
        for (int i = 1; valid && i < pendingBytes.length; i++) {
            valid = continues(pendingBytes[0] & 0xFF, i, pendingBytes[i] & 0xFF);
        }
        if (!valid) {
            throw new IllegalArgumentException("pending bytes " + hex(pendingBytes)
                    + " are not the incomplete start of a UTF-8 character");
        }
        System.arraycopy(pendingBytes, 0, decoder.pending, 0, pendingBytes.length);
        decoder.pendingCount = pendingBytes.length;
        decoder.sequenceLength = length;
        return decoder;
    }

    /** The text completed by these tokens. */
    public String feed(int[] tokens) {
        return feed(tokens, 0, tokens.length);
    }

    /**
     * The text completed by {@code tokens[from, to)}.
     *
     * @throws IllegalArgumentException if a token is not in the byte vocabulary; tokens before
     *     it have been consumed
     */
    public String feed(int[] tokens, int from, int to) {
        StringBuilder out = new StringBuilder(to - from);
        for (int i = from; i < to; i++) {
            feed(tokens[i], out);
        }
        return out.toString();
    }

    /**
     * Consumes one token, appending any character it completes (or U+FFFD for a broken
     * sequence it reveals) to {@code out}.
     *
     * @throws IllegalArgumentException if the token is not in the byte vocabulary
     */
    public void feed(int token, StringBuilder out) {
        ByteVocabulary.requireToken(token, -1);
        if (ByteVocabulary.isMark(token)) {
            finish(out);
            return;
        }
        if (pendingCount > 0) {
            if (continues(pending[0] & 0xFF, pendingCount, token)) {
                if (pendingCount + 1 == sequenceLength) {
                    out.appendCodePoint(codePoint(token));
                    reset();
                } else {
                    pending[pendingCount++] = (byte) token;
                }
                return;
            }
            out.append(REPLACEMENT);
            reset();
        }
        start(token, out);
    }

    /** Ends the input: a pending partial character becomes U+FFFD. Returns "" or that one character. */
    public String finish() {
        StringBuilder out = new StringBuilder(1);
        finish(out);
        return out.toString();
    }

    /** The bytes of the character still incomplete (0 to 3 bytes), a copy. */
    public byte[] pendingBytes() {
        return Arrays.copyOf(pending, pendingCount);
    }

    /** Whether a partial character is waiting for more bytes. */
    public boolean hasPending() {
        return pendingCount > 0;
    }

    private void finish(StringBuilder out) {
        if (pendingCount > 0) {
            out.append(REPLACEMENT);
            reset();
        }
    }

    private void start(int b, StringBuilder out) {
        if (b < 0x80) {
            out.append((char) b);
            return;
        }
        int length = sequenceLength(b);
        if (length == 0) {
            out.append(REPLACEMENT);
            return;
        }
        pending[0] = (byte) b;
        pendingCount = 1;
        sequenceLength = length;
    }

    private int codePoint(int last) {
        int lead = pending[0] & 0xFF;
        int cp = lead & (0xFF >> (sequenceLength + 1));
        for (int i = 1; i < sequenceLength - 1; i++) {
            cp = (cp << 6) | (pending[i] & 0x3F);
        }
        return (cp << 6) | (last & 0x3F);
    }

    private void reset() {
        pendingCount = 0;
        sequenceLength = 0;
    }

    /** Length of the sequence a lead byte starts, 0 if the byte cannot start a multi-byte sequence. */
    private static int sequenceLength(int lead) {
        if (lead >= 0xC2 && lead <= 0xDF) {
            return 2;
        }
        if (lead >= 0xE0 && lead <= 0xEF) {
            return 3;
        }
        if (lead >= 0xF0 && lead <= 0xF4) {
            return 4;
        }
        return 0;
    }

    /**
     * Whether {@code b} may be byte number {@code index} (1-based after the lead) of a sequence
     * started by {@code lead}; the second byte's range excludes overlong forms, surrogates and
     * code points above U+10FFFF.
     */
    private static boolean continues(int lead, int index, int b) {
        int low = 0x80;
        int high = 0xBF;
        if (index == 1) {
            switch (lead) {
                case 0xE0 -> low = 0xA0;
                case 0xED -> high = 0x9F;
                case 0xF0 -> low = 0x90;
                case 0xF4 -> high = 0x8F;
                default -> { }
            }
        }
        return b >= low && b <= high;
    }

    private static String hex(byte[] bytes) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < bytes.length; i++) {
            s.append(i == 0 ? "" : " ").append(String.format("%02X", bytes[i] & 0xFF));
        }
        return s.append(']').toString();
    }
}
