package dev.streaminglstm.core.infer;

import java.util.Arrays;
import java.util.Random;

/** Picks tokens from a next-token distribution: greedy, or sampled with temperature and top-k. */
public final class TokenSampler {
    private TokenSampler() {}

    /** The most probable token (the lowest id among ties). */
    public static int greedy(float[] probabilities) {
        int best = 0;
        for (int i = 1; i < probabilities.length; i++) {
            if (probabilities[i] > probabilities[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The {@code k} most probable token ids, most probable first (ties by lower id). */
    public static int[] topK(float[] probabilities, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        Integer[] ids = new Integer[probabilities.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> probabilities[a] != probabilities[b]
                ? Float.compare(probabilities[b], probabilities[a]) : Integer.compare(a, b));
        int n = Math.min(k, ids.length);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = ids[i];
        }
        return out;
    }

    /**
     * Samples from {@code p^(1/temperature)} restricted to the {@code topK} most probable tokens
     * ({@code topK <= 0}: all). A temperature of 0 is greedy.
     */
    public static int sample(float[] probabilities, double temperature, int topK, Random random) {
        if (temperature < 0 || Double.isNaN(temperature)) {
            throw new IllegalArgumentException("temperature must be >= 0, was " + temperature);
        }
        if (temperature == 0) {
            return greedy(probabilities);
        }
        int[] candidates = topK(probabilities, topK <= 0 ? probabilities.length : topK);
        double[] weights = new double[candidates.length];
        double max = Math.log(Math.max(probabilities[candidates[0]], Float.MIN_VALUE));
        double total = 0;
        for (int i = 0; i < candidates.length; i++) {
            double logp = Math.log(Math.max(probabilities[candidates[i]], Float.MIN_VALUE));
            weights[i] = Math.exp((logp - max) / temperature);
            total += weights[i];
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < candidates.length; i++) {
            u -= weights[i];
            if (u <= 0) {
                return candidates[i];
            }
        }
        return candidates[candidates.length - 1];
    }
}
