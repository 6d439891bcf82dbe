package dev.streaminglstm.core.model;

import java.util.ArrayList;
import java.util.List;

/** Names and shapes of a model's arrays, in the one canonical order used everywhere (files included). */
public final class ParameterNames {
    public static final String EMBEDDING = "embedding";
    public static final String HEAD_WEIGHTS = "head.W";
    public static final String HEAD_BIAS = "head.b";

    private ParameterNames() {}

    /** Input weights of a layer, {@code [inputSize, gateWidth]}. */
    public static String inputWeights(int layer) {
        return "layer" + layer + ".Wx";
    }

    /** Recurrent weights of a layer, {@code [hiddenSize, gateWidth]}. */
    public static String recurrentWeights(int layer) {
        return "layer" + layer + ".Wh";
    }

    /** Bias of a layer, {@code [1, gateWidth]}. */
    public static String bias(int layer) {
        return "layer" + layer + ".b";
    }

    /** Conditioning weights of a layer, {@code [conditioningSize, gateWidth]}; only when conditioned. */
    public static String conditioningWeights(int layer) {
        return "layer" + layer + ".Wv";
    }

    /** One named array's shape. */
    public record Spec(String name, long rows, long columns) {}

    /** Every array of a model of this shape, in canonical order. */
    public static List<Spec> specs(ModelConfig config) {
        List<Spec> specs = new ArrayList<>();
        int g = config.gateWidth();
        specs.add(new Spec(EMBEDDING, config.vocabSize(), config.embedSize()));
        for (int l = 0; l < config.layers(); l++) {
            specs.add(new Spec(inputWeights(l), config.inputSize(l), g));
            specs.add(new Spec(recurrentWeights(l), config.hiddenSize(), g));
            specs.add(new Spec(bias(l), 1, g));
            if (config.conditioned()) {
                specs.add(new Spec(conditioningWeights(l), config.conditioningSize(), g));
            }
        }
        specs.add(new Spec(HEAD_WEIGHTS, config.hiddenSize(), config.vocabSize()));
        specs.add(new Spec(HEAD_BIAS, 1, config.vocabSize()));
        return specs;
    }
}
