package dev.streaminglstm.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;

/** Truncated BPTT against full BPTT, and state carried across windows against one long window. */
class TruncatedBpttTest {
    static final int VOCAB = 6;
    static final int LENGTH = 25; // tokens: 24 predictions

    @ParameterizedTest
    @EnumSource(CellType.class)
    void aWindowCoveringTheWholeSequenceIsFullBptt(CellType cell) {
        ModelConfig config = new ModelConfig(VOCAB, 3, 4, 2, cell, 0);
        ParameterSet params = ParameterSet.initialize(config, DataType.DOUBLE, 5);
        int[] sequence = sequence(new Random(11));
        WindowBatch whole = WindowBatch.of(-1, sequence);
        RecurrentState zero = RecurrentState.zeros(config, 1, DataType.DOUBLE);
        LanguageModel model = new LanguageModel(config);

        WindowResult tbptt = model.forwardBackward(params, zero, whole);

        // Full BPTT's gradient is the derivative of the whole sequence's loss: measure it numerically.
        for (String name : params.names()) {
            int compared = GradientChecks.check(name, params.get(name), tbptt.gradients().get(name),
                    () -> model.evaluate(params, zero, whole).lossNats());
            assertThat(compared).as("%s: entries with a nonzero gradient, checked", name).isPositive();
        }
    }

    @ParameterizedTest
    @EnumSource(CellType.class)
    void carryingStateAcrossWindowsGivesTheForwardPassOfOneLongWindow(CellType cell) {
        ModelConfig config = new ModelConfig(VOCAB, 3, 4, 2, cell, 0);
        ParameterSet params = ParameterSet.initialize(config, DataType.DOUBLE, 6);
        int[] sequence = sequence(new Random(12));
        LanguageModel model = new LanguageModel(config);

        WindowResult whole = model.forwardBackward(
                params, RecurrentState.zeros(config, 1, DataType.DOUBLE), WindowBatch.of(-1, sequence));

        RecurrentState carried = RecurrentState.zeros(config, 1, DataType.DOUBLE);
        double lossSum = 0;
        int windowLength = 8;
        ParameterSet summedGradients = params.zerosLike();
        for (int start = 0; start + windowLength < LENGTH; start += windowLength) {
            int[] window = Arrays.copyOfRange(sequence, start, start + windowLength + 1);
            WindowResult part = model.forwardBackward(params, carried, WindowBatch.of(-1, window));
            lossSum += part.lossNats() * part.tokens();
            summedGradients.addi(part.gradients().muli(part.tokens()));
            carried = part.nextState();
        }

        assertThat(lossSum / (LENGTH - 1)).isCloseTo(whole.lossNats(), within(1e-12));
        for (int l = 0; l < config.layers(); l++) {
            assertThat(carried.hidden(l).equalsWithEps(whole.nextState().hidden(l), 1e-12)).isTrue();
            if (cell.hasCellState()) {
                assertThat(carried.cell(l).equalsWithEps(whole.nextState().cell(l), 1e-12)).isTrue();
            }
        }
        // Truncation is real: the windows' gradients miss the paths that cross their borders.
        ParameterSet full = whole.gradients().muli(LENGTH - 1);
        String wh = "layer0.Wh";
        assertThat(summedGradients.get(wh).equalsWithEps(full.get(wh), 1e-6)).isFalse();
        // ...but the head sees the same hidden states either way, so its gradient is identical.
        assertThat(summedGradients.get("head.W").equalsWithEps(full.get("head.W"), 1e-12)).isTrue();
    }

    private static int[] sequence(Random random) {
        int[] s = new int[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            s[i] = random.nextInt(VOCAB);
        }
        return s;
    }
}
