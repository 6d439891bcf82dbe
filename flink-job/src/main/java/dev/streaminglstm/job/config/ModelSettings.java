package dev.streaminglstm.job.config;

import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.Serializable;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine.Option;

/**
 * The flags of the model's shape, {@link #config()} the core {@link ModelConfig} they describe, and the kernel that
 * runs it in training and inference.
 */
public final class ModelSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    @Option(names = "--embed", paramLabel = "N", description = "Token embedding size, 1..4096. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 4096)
    private int embed = 32;

    @Option(names = "--hidden", paramLabel = "N",
            description = "Recurrent state size per layer, 1..8192. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 8192)
    private int hidden = 128;

    @Option(names = "--layers", paramLabel = "N", description = "Recurrent layers, 1..16. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 16)
    private int layers = 1;

    @Option(names = "--cell", paramLabel = "LSTM|RNN", description = "Recurrent cell. Default: ${DEFAULT-VALUE}.")
    private CellType cell = CellType.LSTM;

    @Option(names = "--conditioning-size", paramLabel = "N",
            description = "Length of every event's feature vector; 0: events carry none. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = 65_536)
    private int conditioningSize = 0;

    @Option(names = "--kernel", paramLabel = "FAST|REFERENCE",
            description = "Implementation that trains and serves the model: FAST (LSTM cells only) or REFERENCE. "
                    + "Default: ${DEFAULT-VALUE}.")
    private Kernel kernel = Kernel.FAST;

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static ModelSettings parse(String... flags) {
        return Flags.group(new ModelSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
        kernel.unsupported(config(), DataType.FLOAT).ifPresent(why -> {
            throw new ConfigException("--kernel: " + kernel + " does not run --cell " + cell + " (give --kernel "
                    + Kernel.REFERENCE + ")");
        });
    }

    /** The model these flags describe, over the byte vocabulary. */
    public ModelConfig config() {
        return new ModelConfig(ByteVocabulary.SIZE, embed, hidden, layers, cell, conditioningSize);
    }

    /** The implementation that trains and serves the model; it runs {@link #config()}. */
    public Kernel kernel() {
        return kernel;
    }
}
