package dev.streaminglstm.sandbox.corpus;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts text into chunks of at most a given number of UTF-8 bytes, only between characters (code points), so
 * every chunk is valid UTF-8 on its own and the chunks joined give the text back.
 */
public final class TextChunker {

    /** The smallest chunk size: the longest UTF-8 encoding of one character. */
    public static final int MIN_CHUNK_BYTES = 4;

    private TextChunker() {}

    /** The chunks of {@code text}, each of at most {@code maxBytes} UTF-8 bytes and as long as fits; none empty. */
    public static List<String> chunks(String text, int maxBytes) {
        if (maxBytes < MIN_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunks need at least " + MIN_CHUNK_BYTES + " bytes, got " + maxBytes);
        }
        List<String> chunks = new ArrayList<>();
        int start = 0;
        int bytes = 0;
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            int size = utf8Length(codePoint);
            if (bytes + size > maxBytes) {
                chunks.add(text.substring(start, i));
                start = i;
                bytes = 0;
            }
            bytes += size;
            i += Character.charCount(codePoint);
        }
        if (start < text.length()) {
            chunks.add(text.substring(start));
        }
        return chunks;
    }

    /** Bytes of {@code codePoint} in UTF-8. */
    private static int utf8Length(int codePoint) {
        if (codePoint < 0x80) {
            return 1;
        }
        if (codePoint < 0x800) {
            return 2;
        }
        return codePoint < 0x10000 ? 3 : 4;
    }
}
