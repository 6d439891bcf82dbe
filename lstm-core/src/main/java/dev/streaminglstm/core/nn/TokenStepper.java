package dev.streaminglstm.core.nn;

import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One stream of a model read token by token from a carried state: what inference runs on. The state
 * is one stream's flat row in the layout of {@link RecurrentState#row} (layer by layer, h then c).
 * Not thread-safe.
 */
public interface TokenStepper {

    /**
     * Reads {@code tokens} in order from the current state (a {@code <start>} token zeroes the state
     * before it) and returns the next token's distribution, a new array.
     */
    float[] feed(int[] tokens);

    /**
     * As {@link #feed(int[])}, and gives {@code scorer} each token after the first with the distribution it was
     * read under: the one after the token before it. One head per token; the slow default reads the tokens one by
     * one.
     */
    default float[] feed(int[] tokens, Scorer scorer) {
        float[] p = null;
        for (int t = 0; t < tokens.length; t++) {
            if (t > 0) {
                scorer.score(tokens[t], p);
            }
            p = feed(new int[] {tokens[t]});
        }
        if (p == null) {
            throw new IllegalArgumentException("nothing to feed");
        }
        return p;
    }

    /** Receives each token read with the next-token distribution the model gave just before it. */
    @FunctionalInterface
    interface Scorer {
        /** {@code distribution} is valid during the call only: the stepper reuses it. */
        void score(int token, float[] distribution);
    }

    /**
     * The next token's distribution from the current state (the head on the last layer's h), a new array: what the
     * last {@link #feed} returned, computed again, for example after {@link #setFlatState}.
     */
    float[] distribution();

    /** The current state, a copy. */
    float[] flatState();

    /** Replaces the state (copied). */
    void setFlatState(float[] state);

    /**
     * Makes the steppers of a model's kernel.
     *
     * @throws IllegalArgumentException for parameters or conditioning the kernel does not run
     */
    @FunctionalInterface
    interface Factory {
        TokenStepper create(LanguageModel model, ParameterSet params, float[] conditioning, int startToken);
    }

    /** The reference kernel's stepper, for any model: every call is one {@link LanguageModel#feed} of a batch of one stream. */
    final class OnLanguageModel implements TokenStepper {
        private final LanguageModel model;
        private final ParameterSet params;
        private final float[][] conditioning;
        private final int startToken;
        private RecurrentState state;

        OnLanguageModel(LanguageModel model, ParameterSet params, float[] conditioning, int startToken) {
            this.model = model;
            this.params = params;
            this.conditioning = conditioning == null ? null : new float[][] {conditioning};
            this.startToken = startToken;
            this.state = RecurrentState.zeros(model.config(), 1, params.dataType());
        }

        @Override
        public float[] feed(int[] tokens) {
            LanguageModel.NextTokenDistribution p = model.feed(params, state, new int[][] {tokens}, conditioning, startToken);
            state = p.nextState();
            return p.probabilities().castTo(org.nd4j.linalg.api.buffer.DataType.FLOAT).toFloatVector();
        }

        @Override
        public float[] distribution() {
            INDArray top = state.hidden(state.layers() - 1); // [1, H]
            return SoftmaxHead.INSTANCE.probabilities(params.get(ParameterNames.HEAD_WEIGHTS),
                    params.get(ParameterNames.HEAD_BIAS), top).castTo(DataType.FLOAT).toFloatVector();
        }

        @Override
        public float[] flatState() {
            return state.row(0);
        }

        @Override
        public void setFlatState(float[] flat) {
            state = RecurrentState.stack(model.config(), List.of(flat), params.dataType());
        }
    }
}
