package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ParameterSet;
import java.util.Map;

/** Plain gradient descent: {@code p -= lr * g}. */
final class SgdOptimizer extends Optimizer {

    SgdOptimizer(OptimizerConfig config, long stepsApplied, long stepsSkipped) {
        super(config, stepsApplied, stepsSkipped);
    }

    @Override
    void update(ParameterSet params, ParameterSet gradients, double gradientScale, long t) {
        double alpha = -learningRate() * gradientScale;
        params.forEachPair(gradients, (p, g) -> ArrayOps.axpy(alpha, g, p));
    }

    @Override
    Map<String, ParameterSet> moments() {
        return Map.of();
    }
}
