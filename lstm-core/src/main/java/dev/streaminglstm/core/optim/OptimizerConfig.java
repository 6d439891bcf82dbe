package dev.streaminglstm.core.optim;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The settings of an optimiser.
 *
 * @param kind the update rule
 * @param learningRate step size, finite and positive
 * @param clipNorm largest global gradient norm; gradients above it are scaled down to it. Zero
 *     or negative means no clipping
 * @param beta1 Adam's decay of the first moment, in [0, 1)
 * @param beta2 Adam's decay of the second moment, in [0, 1)
 * @param epsilon the small constant that keeps Adagrad's and Adam's denominators positive
 */
public record OptimizerConfig(
        OptimizerKind kind, double learningRate, double clipNorm, double beta1, double beta2, double epsilon)
        implements Serializable {

    public static final double DEFAULT_BETA1 = 0.9;
    public static final double DEFAULT_BETA2 = 0.999;
    public static final double DEFAULT_EPSILON = 1e-8;

    /** Key of each setting in {@link #toMap()}. */
    public static final String KIND = "optimizer.kind";
    public static final String LEARNING_RATE = "optimizer.learningRate";
    public static final String CLIP_NORM = "optimizer.clipNorm";
    public static final String BETA1 = "optimizer.beta1";
    public static final String BETA2 = "optimizer.beta2";
    public static final String EPSILON = "optimizer.epsilon";

    public OptimizerConfig {
        if (kind == null) {
            throw new IllegalArgumentException("optimizer kind must be given");
        }
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be finite and positive, was " + learningRate);
        }
        if (!Double.isFinite(clipNorm)) {
            throw new IllegalArgumentException("clipNorm must be finite (0 or less for no clipping), was " + clipNorm);
        }
        requireDecay("beta1", beta1);
        requireDecay("beta2", beta2);
        if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and positive, was " + epsilon);
        }
    }

    /** Plain gradient descent. */
    public static OptimizerConfig sgd(double learningRate, double clipNorm) {
        return new OptimizerConfig(OptimizerKind.SGD, learningRate, clipNorm, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPSILON);
    }

    /** Adagrad (min-char-rnn's choice, typically {@code learningRate} 0.1 and {@code clipNorm} 5). */
    public static OptimizerConfig adagrad(double learningRate, double clipNorm) {
        return new OptimizerConfig(OptimizerKind.ADAGRAD, learningRate, clipNorm, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPSILON);
    }

    /** Adam with the default betas and epsilon. */
    public static OptimizerConfig adam(double learningRate, double clipNorm) {
        return new OptimizerConfig(OptimizerKind.ADAM, learningRate, clipNorm, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPSILON);
    }

    /** Whether gradients are clipped. */
    public boolean clips() {
        return clipNorm > 0;
    }

    /** The settings as strings (doubles in a form that parses back to the same value), e.g. for a parameter file. */
    public Map<String, String> toMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put(KIND, kind.name());
        map.put(LEARNING_RATE, Double.toString(learningRate));
        map.put(CLIP_NORM, Double.toString(clipNorm));
        map.put(BETA1, Double.toString(beta1));
        map.put(BETA2, Double.toString(beta2));
        map.put(EPSILON, Double.toString(epsilon));
        return map;
    }

    /**
     * Reads the settings {@link #toMap()} wrote; other keys in the map are ignored.
     *
     * @throws IllegalArgumentException naming the first missing or malformed setting, or an invalid value
     */
    public static OptimizerConfig fromMap(Map<String, String> map) {
        String kindName = require(map, KIND);
        OptimizerKind kind = Arrays.stream(OptimizerKind.values())
                .filter(k -> k.name().equals(kindName))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("optimizer setting '" + KIND + "' is '" + kindName
                        + "', expected one of " + Arrays.toString(OptimizerKind.values())));
        return new OptimizerConfig(kind, number(map, LEARNING_RATE), number(map, CLIP_NORM), number(map, BETA1),
                number(map, BETA2), number(map, EPSILON));
    }

    private static String require(Map<String, String> map, String key) {
        String value = map.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing optimizer setting '" + key + "'");
        }
        return value;
    }

    private static double number(Map<String, String> map, String key) {
        String value = require(map, key);
        try {
            return Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("optimizer setting '" + key + "' is not a number: '" + value + "'", e);
        }
    }

    private static void requireDecay(String name, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new IllegalArgumentException(name + " must be in [0, 1), was " + value);
        }
    }
}
