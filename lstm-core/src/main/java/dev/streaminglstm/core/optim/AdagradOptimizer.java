package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ParameterSet;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Adagrad exactly as Karpathy's min-char-rnn: {@code mem += g*g; p -= lr * g / sqrt(mem + eps)}
 * (eps inside the square root, {@link OptimizerConfig#epsilon()}, 1e-8 by default).
 */
final class AdagradOptimizer extends Optimizer {
    private final ParameterSet memory;
    /** Per-array work space, same shape and type as the parameters; not part of the state. */
    private final ParameterSet scratch;

    AdagradOptimizer(OptimizerConfig config, long stepsApplied, long stepsSkipped, ParameterSet memory) {
        super(config, stepsApplied, stepsSkipped);
        this.memory = memory;
        this.scratch = memory.zerosLike();
    }

    @Override
    void update(ParameterSet params, ParameterSet gradients, double gradientScale, long t) {
        double lr = learningRate();
        double eps = config().epsilon();
        for (String name : params.names()) {
            INDArray p = params.get(name);
            INDArray g = gradients.get(name);
            INDArray mem = memory.get(name);
            INDArray work = scratch.get(name);
            g.mul(g, work);
            ArrayOps.axpy(gradientScale * gradientScale, work, mem); // mem += (s g)^2
            mem.add(eps, work);
            ArrayOps.sqrt(work, work);
            g.div(work, work); // g / sqrt(mem + eps)
            ArrayOps.axpy(-lr * gradientScale, work, p);
        }
    }

    @Override
    Map<String, ParameterSet> moments() {
        return Map.of("memory", memory);
    }
}
