package dev.streaminglstm.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Whole-window gradients (embedding, every recurrent layer, conditioning, head, and the carried
 * state) against central differences, in double precision, from a random nonzero carried state,
 * with one stream reset and a {@code <start>} token inside another stream's window.
 */
class LanguageModelGradientCheckTest {
    static final int VOCAB = 7;
    static final int START = 5;

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(CellType.LSTM, 1, 0),
                Arguments.of(CellType.LSTM, 2, 0),
                Arguments.of(CellType.LSTM, 2, 3),
                Arguments.of(CellType.RNN, 1, 0),
                Arguments.of(CellType.RNN, 2, 3));
    }

    @ParameterizedTest(name = "{0}, {1} layers, conditioning {2}")
    @MethodSource("shapes")
    void windowGradientsMatchCentralDifferences(CellType cell, int layers, int conditioning) {
        ModelConfig config = new ModelConfig(VOCAB, 3, 4, layers, cell, conditioning);
        ParameterSet params = ParameterSet.initialize(config, DataType.DOUBLE, 42);
        Random random = new Random(7);
        // Scale weights up a little so that gates saturate unevenly and every path matters.
        params.muli(1.5);
        WindowBatch batch = new WindowBatch(
                new int[][] {{1, 2, 3, 0, 4, 6}, {6, 0, START, 2, 2, 1}, {3, 3, 4, 1, 0, 2}},
                new boolean[] {false, false, true},
                conditioning == 0 ? null : randomVectors(random, 3, conditioning),
                START);
        RecurrentState carried = randomState(config, 3, random);
        LanguageModel model = new LanguageModel(config);

        WindowResult result = model.forwardBackward(params, carried, batch);
        assertThat(result.tokens()).isEqualTo(15);

        int compared = 0;
        for (String name : params.names()) {
            compared += GradientChecks.check(name, params.get(name), result.gradients().get(name),
                    () -> model.evaluate(params, carried, batch).lossNats());
        }
        for (int l = 0; l < layers; l++) {
            compared += GradientChecks.check("h0[" + l + "]", carried.hidden(l),
                    result.initialStateGradient().hidden(l), () -> model.evaluate(params, carried, batch).lossNats());
            if (cell == CellType.LSTM) {
                compared += GradientChecks.check("c0[" + l + "]", carried.cell(l),
                        result.initialStateGradient().cell(l), () -> model.evaluate(params, carried, batch).lossNats());
            }
        }
        assertThat(compared).as("entries with a nonzero gradient").isGreaterThan((int) (params.size() / 2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void resetStreamsIgnoreTheirCarriedState(CellType cell, int layers, int conditioning) {
        ModelConfig config = new ModelConfig(VOCAB, 3, 4, layers, cell, conditioning);
        ParameterSet params = ParameterSet.initialize(config, DataType.DOUBLE, 1);
        Random random = new Random(3);
        WindowBatch batch = new WindowBatch(new int[][] {{1, 2, 3}, {START, 2, 3}}, new boolean[] {true, false},
                conditioning == 0 ? null : randomVectors(random, 2, conditioning), START);
        WindowResult result = new LanguageModel(config).forwardBackward(params, randomState(config, 2, random), batch);
        for (int l = 0; l < layers; l++) {
            assertThat(result.initialStateGradient().hidden(l).norm2Number().doubleValue())
                    .as("no gradient reaches a state that a reset or <start> discards")
                    .isZero();
        }
    }

    static RecurrentState randomState(ModelConfig config, int batch, Random random) {
        INDArray[] h = new INDArray[config.layers()];
        INDArray[] c = config.cellType().hasCellState() ? new INDArray[config.layers()] : null;
        for (int l = 0; l < config.layers(); l++) {
            h[l] = Nd4j.rand(DataType.DOUBLE, batch, config.hiddenSize()).subi(0.5).muli(1.6);
            if (c != null) {
                c[l] = Nd4j.rand(DataType.DOUBLE, batch, config.hiddenSize()).subi(0.5).muli(3);
            }
        }
        return RecurrentState.of(h, c);
    }

    static float[][] randomVectors(Random random, int rows, int size) {
        float[][] v = new float[rows][size];
        for (float[] row : v) {
            for (int i = 0; i < size; i++) {
                row[i] = (float) random.nextGaussian();
            }
        }
        return v;
    }
}
