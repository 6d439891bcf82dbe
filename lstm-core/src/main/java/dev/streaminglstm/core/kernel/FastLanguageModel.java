package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.nn.LanguageModel;

/**
 * Language models on the fast float kernel: {@link FastLstmLayer}, {@link FastSoftmaxHead}, and
 * {@link FastStepper} for reading single streams.
 */
public final class FastLanguageModel {
    private FastLanguageModel() {}

    /**
     * A model of this shape on the fast kernel: the same function and gradients as
     * {@code new LanguageModel(config)}, fast for FLOAT parameters (other types run on the
     * reference layers).
     */
    public static LanguageModel create(ModelConfig config) {
        return new LanguageModel(config, new FastLstmLayer(), FastSoftmaxHead.INSTANCE, FastStepper::createIfApplicable);
    }
}
