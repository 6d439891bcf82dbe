package dev.streaminglstm.quality;

import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;

/** The held-out text, scored exactly as {@code streaming-lstm eval} scores a file (windows of 256). */
final class HeldOut {
    private static final int EVAL_WINDOW = 256;

    private final int[] tokens;

    HeldOut(byte[] text) {
        if (text.length == 0) {
            throw new IllegalArgumentException("the held-out text is empty");
        }
        this.tokens = ByteVocabulary.startThenBytes(text);
    }

    /** Bits per byte of {@code model} on the held-out text. */
    double bpc(ServableModel model) {
        return model.bitsPerToken(tokens, EVAL_WINDOW, null);
    }

    /** The tokens scored: {@code <start>}, then the bytes. */
    int[] tokens() {
        return tokens;
    }

    int bytes() {
        return tokens.length - 1;
    }
}
