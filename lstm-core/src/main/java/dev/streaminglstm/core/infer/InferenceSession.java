package dev.streaminglstm.core.infer;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.TokenStepper;
import java.util.Random;

/**
 * One stream read token by token: keeps its (h, c) and the distribution of the next token.
 * Feeding a token updates the state; generating a continuation works on a copy and leaves the
 * session as it was. Not thread-safe.
 */
public final class InferenceSession {
    private final TokenStepper stepper;
    private float[] next;

    /**
     * @param conditioning the stream's conditioning vector, or null for unconditioned models
     * @param startToken the id that zeroes the state before it (the vocabulary's {@code <start>}), or -1
     */
    public InferenceSession(LanguageModel model, ParameterSet params, float[] conditioning, int startToken) {
        this.stepper = model.stepper(params, conditioning, startToken);
    }

    /** Reads tokens in order; returns the distribution of the token after the last one. */
    public float[] feed(int... tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("nothing to feed");
        }
        next = stepper.feed(tokens);
        return next.clone();
    }

    /**
     * Reads tokens in order as {@link #feed(int...)} does, and gives {@code scorer} each of them with the
     * distribution the model gave just before it: for the first, the session's {@link #nextDistribution()} (not
     * scored when there is none yet). Returns the distribution of the token after the last one.
     */
    public float[] feed(int[] tokens, TokenStepper.Scorer scorer) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("nothing to feed");
        }
        if (next != null) {
            scorer.score(tokens[0], next);
        }
        next = stepper.feed(tokens, scorer);
        return next.clone();
    }

    /** One-token step: reads the token, returns the next token's distribution. */
    public float[] step(int token) {
        return feed(token);
    }

    /** The distribution of the next token, or null before anything was fed. */
    public float[] nextDistribution() {
        return next == null ? null : next.clone();
    }

    /** The current state as one stream's flat row ({@link RecurrentState#row}), a copy. */
    public float[] flatState() {
        return stepper.flatState();
    }

    /**
     * Replaces the state with a flat row ({@link RecurrentState#row}) and the next token's
     * distribution, for example with ones kept between calls.
     */
    public void restore(float[] saved, float[] nextDistribution) {
        stepper.setFlatState(saved);
        this.next = nextDistribution == null ? null : nextDistribution.clone();
    }

    /**
     * Replaces the state with a flat row ({@link RecurrentState#row}) and computes the next token's distribution from
     * it: the same numbers the {@link #feed} that reached this state returned.
     */
    public void restore(float[] saved) {
        stepper.setFlatState(saved);
        this.next = stepper.distribution();
    }

    /**
     * Continues the text by {@code length} tokens from the current state without changing it:
     * temperature 0 is greedy; otherwise sampling with temperature and top-k. Stops early after
     * {@code stopToken} (inclusive) if it is not -1.
     */
    public int[] generate(int length, double temperature, int topK, int stopToken, Random random) {
        if (next == null) {
            throw new IllegalStateException("feed at least one token before generating");
        }
        float[] savedState = stepper.flatState();
        float[] savedNext = next;
        int[] out = new int[length];
        int n = 0;
        try {
            float[] p = next;
            while (n < length) {
                int token = TokenSampler.sample(p, temperature, topK, random);
                out[n++] = token;
                if (token == stopToken || n == length) {
                    break;
                }
                p = feed(token);
            }
        } finally {
            stepper.setFlatState(savedState);
            next = savedNext;
        }
        return java.util.Arrays.copyOf(out, n);
    }
}
