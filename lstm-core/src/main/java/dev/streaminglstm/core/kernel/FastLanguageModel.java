package dev.streaminglstm.core.kernel;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.nn.LanguageModel;
import org.nd4j.linalg.api.buffer.DataType;

/** The entry point callers used before the kernel was chosen by name ({@link Kernel}). */
public final class FastLanguageModel {
    private FastLanguageModel() {}

    /**
     * A model of this shape for FLOAT parameters on the fastest kernel that runs it:
     * {@code Kernel.fastestFor(config, FLOAT).create(config)} (the fast kernel for LSTM models,
     * the reference one for RNN models), as before.
     *
     * @deprecated name the kernel: {@link Kernel#create(ModelConfig)}
     */
    @Deprecated
    public static LanguageModel create(ModelConfig config) {
        return Kernel.fastestFor(config, DataType.FLOAT).create(config);
    }
}
