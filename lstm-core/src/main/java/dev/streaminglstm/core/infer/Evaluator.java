package dev.streaminglstm.core.infer;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import java.util.Arrays;
import java.util.function.LongConsumer;

/** Bits per token of a model on a token sequence, read window by window with carried state. */
public final class Evaluator {
    private Evaluator() {}

    /**
     * The mean of {@code -log2 p(token | everything before it)} over tokens 1..n-1 of
     * {@code tokens}, reading windows of {@code window} predictions with the state carried across
     * them (so the result does not depend on the window length beyond rounding).
     *
     * @param progress called with the number of tokens scored so far, or null
     */
    public static double bitsPerToken(LanguageModel model, ParameterSet params, int[] tokens, int window,
            int startToken, LongConsumer progress) {
        if (tokens.length < 2) {
            throw new IllegalArgumentException("need at least 2 tokens to score, got " + tokens.length);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, was " + window);
        }
        RecurrentState state = RecurrentState.zeros(model.config(), 1, params.dataType());
        double nats = 0;
        long scored = 0;
        for (int start = 0; start + 1 < tokens.length; start += window) {
            int end = Math.min(start + window, tokens.length - 1);
            int[] slice = Arrays.copyOfRange(tokens, start, end + 1);
            LanguageModel.Evaluation e = model.evaluate(params, state, WindowBatch.of(startToken, slice));
            nats += e.lossNats() * (slice.length - 1);
            scored += slice.length - 1;
            state = e.nextState();
            if (progress != null) {
                progress.accept(scored);
            }
        }
        return nats / scored / Math.log(2);
    }
}
