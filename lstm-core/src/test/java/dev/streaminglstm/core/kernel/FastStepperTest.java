package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.TokenStepper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link FastStepper} against the reference model's {@link LanguageModel#feed} on a batch of one:
 * the same distributions and states, chunk after chunk, from a carried state, through
 * {@code <start>} tokens, with and without conditioning, on one and two layers. Both compute in
 * float, so they agree to {@link FastLstmLayerTest#FLOAT_TOLERANCE} of each array's scale.
 */
class FastStepperTest {
    private static final int VOCAB = 13;
    private static final int START = 11;

    @ParameterizedTest(name = "{0} layers, conditioning {1}")
    @CsvSource({"1, 0", "2, 0", "2, 3"})
    void readsAStreamAsTheReferenceModelDoes(int layers, int conditioning) {
        ModelConfig config = new ModelConfig(VOCAB, 5, 12, layers, CellType.LSTM, conditioning);
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, 3).muli(1.5);
        Random random = new Random(layers * 10L + conditioning);
        float[] v = conditioning == 0 ? null : randomVector(random, conditioning);
        LanguageModel reference = new LanguageModel(config);
        TokenStepper stepper = Kernel.FAST.create(config).stepper(params, v, START);
        assertThat(stepper).isInstanceOf(FastStepper.class);

        RecurrentState carried = randomState(config, random);
        stepper.setFlatState(carried.row(0));
        int[][] chunks = {{1, 2, 3}, {4}, {5, START, 6, 7}, {START}, {8, 9, 10, 0, 12, 1}};
        Map<String, double[]> fast = new LinkedHashMap<>();
        Map<String, double[]> expected = new LinkedHashMap<>();
        for (int i = 0; i < chunks.length; i++) {
            float[] p = stepper.feed(chunks[i]);
            assertThat(stepper.distribution()).as("the head again, on the same state").containsExactly(p);
            LanguageModel.NextTokenDistribution e = reference.feed(params, carried, new int[][] {chunks[i]},
                    v == null ? null : new float[][] {v}, START);
            carried = e.nextState();
            fast.put("distribution after chunk " + i, toDouble(p));
            expected.put("distribution after chunk " + i, toDouble(e.probabilities().toFloatVector()));
            fast.put("state after chunk " + i, toDouble(stepper.flatState()));
            expected.put("state after chunk " + i, toDouble(carried.row(0)));
        }
        FastLstmLayerTest.assertAgree(fast, expected);
        assertThat(sum(fast.get("distribution after chunk 4"))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void theGenericStepperGivesTheDistributionOfItsStateAgain() {
        for (CellType cell : CellType.values()) {
            ModelConfig config = new ModelConfig(VOCAB, 5, 12, 2, cell, 0);
            TokenStepper stepper = new LanguageModel(config).stepper(
                    ParameterSet.initialize(config, DataType.DOUBLE, 4), null, START);
            float[] p = stepper.feed(new int[] {1, 2, 3});
            float[] state = stepper.flatState();
            stepper.feed(new int[] {4, 5});
            stepper.setFlatState(state);
            assertThat(toDouble(stepper.distribution())).as("%s", cell)
                    .containsExactly(toDouble(p), org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    @Test
    void refusesParametersTheFastKernelDoesNotRun() {
        ModelConfig lstm = new ModelConfig(VOCAB, 5, 12, 1, CellType.LSTM, 0);
        LanguageModel fast = Kernel.FAST.create(lstm);
        assertThatThrownBy(() -> fast.stepper(ParameterSet.initialize(lstm, DataType.DOUBLE, 1), null, START))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLOAT parameters only");
        assertThatThrownBy(() -> fast.stepper(ParameterSet.initialize(lstm.withLayers(2), DataType.FLOAT, 1), null,
                START)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("parameters of shape");
        ModelConfig rnn = lstm.withCell(CellType.RNN);
        assertThat(Kernel.REFERENCE.create(rnn).stepper(ParameterSet.initialize(rnn, DataType.FLOAT, 1), null, START))
                .isInstanceOf(TokenStepper.OnLanguageModel.class);
    }

    @Test
    void rejectsBadTokensStatesAndConditioning() {
        ModelConfig config = new ModelConfig(VOCAB, 5, 12, 2, CellType.LSTM, 3);
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, 3);
        LanguageModel model = Kernel.FAST.create(config);
        TokenStepper stepper = model.stepper(params, new float[3], START);
        float[] before = stepper.flatState();
        assertThatThrownBy(() -> stepper.feed(new int[] {1, VOCAB}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 13");
        assertThat(stepper.flatState()).as("a refused chunk reads nothing").containsExactly(before);
        assertThatThrownBy(() -> stepper.feed(new int[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> stepper.setFlatState(new float[47]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 48");
        assertThatThrownBy(() -> model.stepper(params, null, START))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("none");
        assertThatThrownBy(() -> model.stepper(params, new float[2], START))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has 2");
    }

    @Test
    void scoringGivesEachTokenTheDistributionTheReferenceGaveJustBeforeIt() {
        ModelConfig config = new ModelConfig(VOCAB, 5, 12, 2, CellType.LSTM, 0);
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, 4).muli(1.5);
        TokenStepper fast = Kernel.FAST.create(config).stepper(params, null, START);
        TokenStepper reference = new LanguageModel(config).stepper(params, null, START);
        int[] tokens = {3, 1, START, 4, 4, 12, 0};
        Map<String, double[]> scored = new LinkedHashMap<>();
        Map<String, double[]> expected = new LinkedHashMap<>();

        float[] last = fast.feed(tokens, (token, p) -> scored.put("before token " + scored.size() + " (" + token + ")",
                toDouble(p)));
        for (int t = 0; t + 1 < tokens.length; t++) {
            float[] p = reference.feed(new int[] {tokens[t]});
            expected.put("before token " + t + " (" + tokens[t + 1] + ")", toDouble(p));
        }
        scored.put("after the last", toDouble(last));
        expected.put("after the last", toDouble(reference.feed(new int[] {tokens[tokens.length - 1]})));

        assertThat(scored.keySet()).containsExactlyElementsOf(expected.keySet());
        FastLstmLayerTest.assertAgree(scored, expected);
        assertThat(fast.flatState()).usingComparatorWithPrecision(1e-5f).containsExactly(reference.flatState());
    }

    private static RecurrentState randomState(ModelConfig config, Random random) {
        float[] row = randomVector(random, RecurrentState.flatSize(config));
        return RecurrentState.stack(config, List.of(row), DataType.FLOAT);
    }

    private static float[] randomVector(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }

    private static double sum(double[] values) {
        double s = 0;
        for (double v : values) {
            s += v;
        }
        return s;
    }
}
