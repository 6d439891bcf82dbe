package dev.streaminglstm.core.optim;

/**
 * The update rules written out element by element in double over flat arrays, straight from
 * their textbook formulas, as the expected values of the optimiser tests.
 */
final class ReferenceOptimizer {
    final OptimizerConfig config;
    final double[] params;
    final double[] first;
    final double[] second;
    long t;
    double lastNorm;
    boolean lastClipped;

    ReferenceOptimizer(OptimizerConfig config, double[] params) {
        this.config = config;
        this.params = params.clone();
        this.first = new double[params.length];
        this.second = new double[params.length];
    }

    void step(double[] gradients) {
        double sum = 0;
        for (double g : gradients) {
            sum += g * g;
        }
        lastNorm = Math.sqrt(sum);
        lastClipped = config.clipNorm() > 0 && lastNorm > config.clipNorm();
        double[] g = gradients.clone();
        if (lastClipped) {
            for (int i = 0; i < g.length; i++) {
                g[i] *= config.clipNorm() / lastNorm;
            }
        }
        t++;
        double lr = config.learningRate();
        for (int i = 0; i < g.length; i++) {
            switch (config.kind()) {
                case SGD -> params[i] -= lr * g[i];
                case ADAGRAD -> {
                    first[i] += g[i] * g[i];
                    params[i] -= lr * g[i] / Math.sqrt(first[i] + config.epsilon());
                }
                case ADAM -> {
                    double b1 = config.beta1();
                    double b2 = config.beta2();
                    first[i] = b1 * first[i] + (1 - b1) * g[i];
                    second[i] = b2 * second[i] + (1 - b2) * g[i] * g[i];
                    double mHat = first[i] / (1 - Math.pow(b1, t));
                    double vHat = second[i] / (1 - Math.pow(b2, t));
                    params[i] -= lr * mHat / (Math.sqrt(vHat) + config.epsilon());
                }
            }
        }
    }
}
