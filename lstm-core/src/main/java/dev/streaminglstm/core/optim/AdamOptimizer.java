package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.kernel.NativeFloats;
import dev.streaminglstm.core.model.ParameterSet;
import java.nio.FloatBuffer;
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
 * <p>Dense FLOAT arrays are updated in one Java pass per array, in chunks copied to the heap
 * (about 2.5 ns an element; ND4J's fused {@code adam_updater} op takes about 10). Other arrays go
 * through that op, which evaluates {@code lr sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps')}: the
 * same update when {@code eps' = eps sqrt(1-b2^t)}, so that is the epsilon it is given at step
 * {@code t}.
 */
final class AdamOptimizer extends Optimizer {
    private final ParameterSet m;
    private final ParameterSet v;
    /** Per-array work space (scaled gradient, then update), same shape and type as the parameters; not part of the state. */
    private final ParameterSet scratch;
    /** Heap chunks of gradient, first and second moment and parameters for the Java pass. */
    private final float[][] chunks = new float[4][NativeFloats.CHUNK];

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
            if (updateDenseFloat(params.get(name), g, first, second, gradientScale, t)) {
                continue;
            }
            INDArray work = scratch.get(name);
            INDArray input = g;
            if (gradientScale != 1.0) {
                g.mul(gradientScale, work);
                input = work;
            }
            // inputs: gradient, v, m; outputs: update (may alias the gradient), v, m in place
            Nd4j.getExecutioner().exec(new AdamUpdater(input, second, first, work, second, first,
                    learningRate(), c.beta1(), c.beta2(), epsilon, iteration));
            params.get(name).subi(work);
        }
    }

    /**
     * The update of one array in Java, when all four arrays are dense FLOAT; false (and nothing
     * changed) otherwise.
     */
    private boolean updateDenseFloat(INDArray param, INDArray gradient, INDArray first, INDArray second,
            double gradientScale, long t) {
        FloatBuffer p = NativeFloats.dense(param);
        FloatBuffer g = NativeFloats.dense(gradient);
        FloatBuffer m1 = NativeFloats.dense(first);
        FloatBuffer m2 = NativeFloats.dense(second);
        if (p == null || g == null || m1 == null || m2 == null) {
            return false;
        }
        OptimizerConfig c = config();
        float b1 = (float) c.beta1();
        float b2 = (float) c.beta2();
        float scale = (float) gradientScale;
        float stepSize = (float) (learningRate() / (1 - Math.pow(c.beta1(), t)));
        float rootCorrection = (float) (1 / Math.sqrt(1 - Math.pow(c.beta2(), t)));
        float eps = (float) c.epsilon();
        float[] gc = chunks[0];
        float[] mc = chunks[1];
        float[] vc = chunks[2];
        float[] pc = chunks[3];
        int n = p.limit();
        for (int from = 0; from < n; from += NativeFloats.CHUNK) {
            int len = Math.min(NativeFloats.CHUNK, n - from);
            g.get(from, gc, 0, len);
            m1.get(from, mc, 0, len);
            m2.get(from, vc, 0, len);
            p.get(from, pc, 0, len);
            for (int i = 0; i < len; i++) {
                float gi = gc[i] * scale;
                float mi = b1 * mc[i] + (1 - b1) * gi;
                float vi = b2 * vc[i] + (1 - b2) * gi * gi;
                mc[i] = mi;
                vc[i] = vi;
                pc[i] -= stepSize * mi / ((float) Math.sqrt(vi) * rootCorrection + eps);
            }
            m1.put(from, mc, 0, len);
            m2.put(from, vc, 0, len);
            p.put(from, pc, 0, len);
        }
        return true;
    }

    @Override
    Map<String, ParameterSet> moments() {
        Map<String, ParameterSet> moments = new LinkedHashMap<>();
        moments.put("m", m);
        moments.put("v", v);
        return moments;
    }
}
