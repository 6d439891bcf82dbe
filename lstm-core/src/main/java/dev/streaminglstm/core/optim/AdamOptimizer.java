package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ParameterSet;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Adam with bias correction, as {@code torch.optim.Adam} defines it (no weight decay, no
 * amsgrad): {@code m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 * p -= lr / (1-b1^t) * m / (sqrt(v) / sqrt(1-b2^t) + eps)}.
 *
 * <p>Computed with ND4J's fused {@code adam_updater} op (one pass per array), which evaluates
 * {@code lr sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps')}: the same update when
 * {@code eps' = eps sqrt(1-b2^t)}, so that is the epsilon it is given at step {@code t}.
 */
final class AdamOptimizer extends Optimizer {
    private final ParameterSet m;
    private final ParameterSet v;
    /** Per-array work space (scaled gradient, then update), same shape and type as the parameters; not part of the state. */
    private final ParameterSet scratch;

    AdamOptimizer(OptimizerConfig config, long stepsApplied, long stepsSkipped, ParameterSet m, ParameterSet v) {
        super(config, stepsApplied, stepsSkipped);
        this.m = m;
        this.v = v;
        this.scratch = m.zerosLike();
    }

    @Override
    void update(ParameterSet params, ParameterSet gradients, double gradientScale, long t) {
        OptimizerConfig c = config();
        double epsilon = c.epsilon() * Math.sqrt(1 - Math.pow(c.beta2(), t));
        int iteration = (int) Math.min(t - 1, Integer.MAX_VALUE); // the op raises the betas to iteration + 1
        for (String name : params.names()) {
            INDArray g = gradients.get(name);
            INDArray first = m.get(name);
            INDArray second = v.get(name);
            INDArray work = scratch.get(name);
            INDArray input = g;
            if (gradientScale != 1.0) {
                g.mul(gradientScale, work);
                input = work;
            }
            // inputs: gradient, v, m; outputs: update (may alias the gradient), v, m in place
            Nd4j.getExecutioner().exec(new AdamUpdater(input, second, first, work, second, first,
                    c.learningRate(), c.beta1(), c.beta2(), epsilon, iteration));
            params.get(name).subi(work);
        }
    }

    @Override
    Map<String, ParameterSet> moments() {
        Map<String, ParameterSet> moments = new LinkedHashMap<>();
        moments.put("m", m);
        moments.put("v", v);
        return moments;
    }
}
