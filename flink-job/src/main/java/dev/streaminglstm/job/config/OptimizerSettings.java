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

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static OptimizerSettings parse(String... flags) {
        return Flags.group(new OptimizerSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
    }

    /** The optimiser these flags describe, with the default betas and epsilon. */
    public OptimizerConfig config() {
        return switch (optimizer) {
            case SGD -> OptimizerConfig.sgd(learningRate, clipNorm);
            case ADAGRAD -> OptimizerConfig.adagrad(learningRate, clipNorm);
            case ADAM -> OptimizerConfig.adam(learningRate, clipNorm);
        };
    }
}
