package dev.streaminglstm.job.config;

import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.optim.OptimizerKind;
import java.io.Serializable;
import picocli.CommandLine.Option;

/** The flags of the optimiser; {@link #config()} is the core {@link OptimizerConfig} they describe. */
public final class OptimizerSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    @Option(names = "--optimizer", paramLabel = "ADAM|ADAGRAD|SGD", description = "Optimiser. Default: ${DEFAULT-VALUE}.")
    private OptimizerKind optimizer = OptimizerKind.ADAM;

    @Option(names = "--learning-rate", paramLabel = "RATE",
            description = "Optimiser step size, above 0, at most 10. Default: ${DEFAULT-VALUE}.")
    @Check.Positive(max = 10)
    private double learningRate = 2e-3;

    @Option(names = "--clip-norm", paramLabel = "NORM",
            description = "Gradients with a larger global norm are scaled down to it. Default: ${DEFAULT-VALUE}.")
    @Check.Positive(max = 1e6)
    private double clipNorm = 5.0;

    // Not PyTorch's 0.9 and 0.999: the streams a batch draws from change what they say from one batch to the next,
    // and without momentum and with a short memory of gradient scales the served predictions took 6% to 10% fewer
    // bits a byte (README, "Adam's memory"). --adam-beta1 0.9 --adam-beta2 0.999 gives PyTorch's Adam.
    @Option(names = "--adam-beta1", paramLabel = "B",
            description = "Adam's decay of its mean of the gradients (momentum), 0 or above, below 1 (ADAM only); "
                    + "PyTorch's is 0.9. Default: ${DEFAULT-VALUE}.")
    private double adamBeta1 = 0;

    @Option(names = "--adam-beta2", paramLabel = "B",
            description = "Adam's decay of its mean of the squared gradients, 0 or above, below 1 (ADAM only): lower "
                    + "forgets old gradient scales sooner; PyTorch's is 0.999. Default: ${DEFAULT-VALUE}.")
    private double adamBeta2 = 0.9;

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static OptimizerSettings parse(String... flags) {
        return Flags.group(new OptimizerSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
        requireDecay("--adam-beta1", adamBeta1);
        requireDecay("--adam-beta2", adamBeta2);
    }

    private static void requireDecay(String flag, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new ConfigException(flag + ": must be 0 or above and below 1, was " + value);
        }
    }

    /** The optimiser these flags describe, with the default epsilon. */
    public OptimizerConfig config() {
        return new OptimizerConfig(optimizer, learningRate, clipNorm, adamBeta1, adamBeta2,
                OptimizerConfig.DEFAULT_EPSILON);
    }
}
