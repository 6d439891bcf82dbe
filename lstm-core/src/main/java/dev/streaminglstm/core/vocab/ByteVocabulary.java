package dev.streaminglstm.core.vocab;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The default vocabulary: token ids 0-255 are the UTF-8 bytes of the text, {@link #START} and
 * {@link #END} are the marks that open and close a document. Every text has exactly one
 * encoding, and every byte sequence can be represented, so nothing is ever out of vocabulary.
 */
public final class ByteVocabulary {
    /** The mark that opens a document. */
    public static final int START = 256;
    /** The mark that closes a document. */
    public static final int END = 257;
    /** Number of token ids: 256 bytes and two marks. */
    public static final int SIZE = 258;

    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private ByteVocabulary() {}

    /** The UTF-8 bytes of a text as token ids, without marks. */
    public static int[] encode(String text) {
        return fromBytes(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A text read as one document that may go on: {@link #START}, then its bytes (no {@link #END}); what
     * {@code eval} scores.
     */
    public static int[] startThenBytes(byte[] bytes) {
        int[] tokens = new int[bytes.length + 1];
        tokens[0] = START;
        for (int i = 0; i < bytes.length; i++) {
            tokens[i + 1] = bytes[i] & 0xFF;
        }
        return tokens;
    }

    /** A whole document: {@link #START}, the UTF-8 bytes of the text, {@link #END}. */
    public static int[] encodeDocument(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] tokens = new int[bytes.length + 2];
        tokens[0] = START;
        for (int i = 0; i < bytes.length; i++) {
            tokens[i + 1] = bytes[i] & 0xFF;
        }
        tokens[bytes.length + 1] = END;
        return tokens;
    }

    /** Raw bytes as token ids (each byte {@code b} becomes {@code b & 0xFF}). */
    public static int[] fromBytes(byte[] bytes) {
        int[] tokens = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            tokens[i] = bytes[i] & 0xFF;
        }
        return tokens;
    }

    /**
     * The byte tokens of a sequence as raw bytes; marks are dropped.
     *
     * @throws IllegalArgumentException if a token is not in {@code [0, SIZE)}
     */
    public static byte[] toBytes(int[] tokens) {
        byte[] bytes = new byte[tokens.length];
        int n = 0;
        for (int i = 0; i < tokens.length; i++) {
            int token = requireToken(tokens[i], i);
            if (isByte(token)) {
                bytes[n++] = (byte) token;
            }
        }
        return n == bytes.length ? bytes : Arrays.copyOf(bytes, n);
    }

    /**
     * Decodes tokens leniently: marks are dropped and each broken UTF-8 sequence becomes one
     * U+FFFD, as {@link Utf8StreamDecoder} does (a mark also ends a pending sequence).
     *
     * @throws IllegalArgumentException if a token is not in {@code [0, SIZE)}
     */
    public static String decode(int[] tokens) {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        return decoder.feed(tokens) + decoder.finish();
    }

    /** Whether the id is one of the 256 byte tokens. */
    public static boolean isByte(int token) {
        return token >= 0 && token < 256;
    }

    /** Whether the id is {@link #START} or {@link #END}. */
    public static boolean isMark(int token) {
        return token == START || token == END;
    }

    /** Whether the id belongs to this vocabulary. */
    public static boolean isValid(int token) {
        return token >= 0 && token < SIZE;
    }

    /**
     * A token in a form a person can read in a log or a prediction listing: the character itself
     * for printable ASCII (a backslash is shown as {@code \\}), {@code \n}, {@code \r},
     * {@code \t} for those controls, {@code \xHH} for any other byte (including every byte of a
     * multi-byte character, which is not printable on its own), and {@code <start>}/{@code <end>}.
     *
     * @throws IllegalArgumentException if the token is not in {@code [0, SIZE)}
     */
    public static String display(int token) {
        requireToken(token, -1);
        if (token == START) {
            return "<start>";
        }
        if (token == END) {
            return "<end>";
        }
        switch (token) {
            case '\n':
                return "\\n";
            case '\r':
                return "\\r";
            case '\t':
                return "\\t";
            case '\\':
                return "\\\\";
            default:
                break;
        }
        if (token >= 0x20 && token < 0x7F) {
            return String.valueOf((char) token);
        }
        return "\\x" + HEX[token >> 4] + HEX[token & 0xF];
    }

    static int requireToken(int token, int position) {
        if (!isValid(token)) {
            throw new IllegalArgumentException("token id " + token
                    + (position >= 0 ? " at position " + position : "")
                    + " is outside the byte vocabulary [0, " + SIZE + ")");
        }
        return token;
    }
}
