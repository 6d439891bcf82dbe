package dev.streaminglstm.core.optim;

import java.util.List;

/** The update rules available, with the moment arrays each keeps between steps. */
public enum OptimizerKind {
    /** Plain gradient descent: {@code p -= lr * g}. No moments. */
    SGD(List.of()),
    /** Adagrad as in min-char-rnn: {@code mem += g*g; p -= lr * g / sqrt(mem + eps)}. */
    ADAGRAD(List.of("memory")),
    /** Adam with bias correction, as {@code torch.optim.Adam}: first moment {@code m}, second {@code v}. */
    ADAM(List.of("m", "v"));

    private final List<String> momentNames;

    OptimizerKind(List<String> momentNames) {
        this.momentNames = momentNames;
    }

    /** Names of the moment arrays this rule keeps, in the order they are stored. */
    public List<String> momentNames() {
        return momentNames;
    }
}
