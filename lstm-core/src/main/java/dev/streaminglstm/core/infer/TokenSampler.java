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

    /**
     * The {@code k} most probable token ids, most probable first (ties by lower id; NaN ranks
     * above every number, as {@link Float#compare} has it). A partial selection: one pass that
     * keeps the best {@code k} in order, about {@code V k / 2} comparisons for small {@code k}; a
     * sort of packed primitive keys beyond.
     */
    public static int[] topK(float[] probabilities, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, was " + k);
        }
        int n = Math.min(k, probabilities.length);
        return n <= SELECT_UP_TO ? select(probabilities, n) : sortAll(probabilities, n);
    }

    /** Largest {@code k} for which {@link #topK} selects rather than sorts. */
    private static final int SELECT_UP_TO = 32;

    private static int[] select(float[] p, int n) {
        int[] best = new int[n];
        int size = 0;
        for (int id = 0; id < p.length; id++) {
            if (size == n && !ranksBefore(p, id, best[n - 1])) {
                continue;
            }
            int at = Math.min(size, n - 1);
            while (at > 0 && ranksBefore(p, id, best[at - 1])) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = id;
            size = Math.min(size + 1, n);
        }
        return best;
    }

    /** Whether token {@code a} ranks before token {@code b < a}: more probable, ties going to the lower id. */
    private static boolean ranksBefore(float[] p, int a, int b) {
        return p[a] != p[b] && Float.compare(p[a], p[b]) > 0;
    }

    private static int[] sortAll(float[] p, int n) {
        long[] keys = new long[p.length];
        for (int id = 0; id < p.length; id++) {
            // descending probability as ascending int bits, equal values (0.0 and -0.0 too) in id order
            float v = p[id] == 0f ? 0f : p[id];
            int bits = Float.floatToIntBits(v);
            int ascending = bits < 0 ? bits ^ Integer.MAX_VALUE : bits;
            keys[id] = ((long) ~ascending << 32) | id;
        }
        Arrays.sort(keys);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (int) keys[i];
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
