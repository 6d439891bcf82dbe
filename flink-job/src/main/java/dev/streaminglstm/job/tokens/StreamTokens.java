package dev.streaminglstm.job.tokens;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.schema.TextEvent;
import java.nio.charset.StandardCharsets;

/**
 * How a stream's chunks become tokens: one rule for training and inference, so that both read
 * the same token stream. A chunk that starts a document adds {@code <end>} (if the stream already
 * has tokens: it closes the previous document) and {@code <start>}; then the UTF-8 bytes of its
 * text. An empty chunk that starts no document adds nothing.
 */
public final class StreamTokens {
    private StreamTokens() {}

    /**
     * The tokens a chunk adds to its stream.
     *
     * @param streamHasTokens whether the stream already has tokens (it is not new, or expired)
     */
    public static int[] of(TextEvent event, boolean streamHasTokens) {
        byte[] text = event.getText().getBytes(StandardCharsets.UTF_8);
        int marks = !event.getStartsDocument() ? 0 : streamHasTokens ? 2 : 1;
        int[] tokens = new int[marks + text.length];
        if (marks == 2) {
            tokens[0] = ByteVocabulary.END;
        }
        if (marks > 0) {
            tokens[marks - 1] = ByteVocabulary.START;
        }
        for (int i = 0; i < text.length; i++) {
            tokens[marks + i] = text[i] & 0xff;
        }
        return tokens;
    }

    /** The chunk's conditioning vector, or null if it carries none. */
    public static float[] features(TextEvent event) {
        if (event.getFeatures() == null) {
            return null;
        }
        float[] f = new float[event.getFeatures().size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = event.getFeatures().get(i);
        }
        return f;
    }
}
