package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.infer.CodeLength;
import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.SoftmaxHead;
import dev.streaminglstm.core.nn.TokenStepper;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * {@link BatchStepper} against reading each stream alone on the reference model
 * ({@link LanguageModel#feed} on a batch of one, which the gradient checks verify): the same
 * distribution after each chunk and the same state, for chunks of different lengths (none among
 * them), from random states, through {@code <start>} tokens, with and without conditioning, on one
 * and two layers and with the streams split over threads; every token's log-probability against
 * the distribution before it; greedy continuations against {@link InferenceSession#generate}. To
 * {@link FastLstmLayerTest#FLOAT_TOLERANCE} of each array's scale.
 */
class BatchStepperTest {
    private static final int VOCAB = 13;
    private static final int START = 11;
    private static final int[][] CHUNKS = {{1, 2, 3, 4, 5}, {}, {START, 6, 7}, {8, 9, 10, 0, START, 12, 1, 2}, {3},
            {4, 5, 6, 7, 8, 9, 10, 0}, {START}};

    @ParameterizedTest(name = "{0} layers, conditioning {1}, {2} threads, {3} copies of the chunks")
    @CsvSource({"1, 0, 1, 1", "2, 0, 1, 1", "2, 3, 1, 1", "2, 3, 2, 6"})
    void readsEveryStreamAsTheReferenceModelReadsItAlone(int layers, int conditioning, int threads, int copies) {
        Streams s = Streams.random(layers, conditioning, copies);
        float[][] states = s.copyOfStates();
        float[][] next = BatchStepper.create(s.params, START, threads).step(states, s.chunks, s.conditioning, null);

        LanguageModel reference = Kernel.REFERENCE.create(s.config);
        Map<String, double[]> expected = new LinkedHashMap<>();
        Map<String, double[]> actual = new LinkedHashMap<>();
        for (int i = 0; i < s.chunks.length; i++) {
            if (s.chunks[i].length == 0) {
                assertThat(next[i]).as("stream %d read nothing", i).isNull();
                assertThat(states[i]).as("stream %d keeps its state", i).containsExactly(s.states[i]);
                continue;
            }
            LanguageModel.NextTokenDistribution alone = reference.feed(s.params, s.state(i), new int[][] {s.chunks[i]},
                    s.conditioning == null ? null : new float[][] {s.conditioning[i]}, START);
            expected.put("distribution " + i, toDouble(alone.probabilities().toFloatVector()));
            actual.put("distribution " + i, toDouble(next[i]));
            expected.put("state " + i, toDouble(alone.nextState().row(0)));
            actual.put("state " + i, toDouble(states[i]));
        }
        FastLstmLayerTest.assertAgree(actual, expected);
    }

    @Test
    void scoresEveryTokenUnderTheDistributionBeforeIt() {
        Streams s = Streams.random(2, 3, 1);
        float[][] scores = new float[s.chunks.length][9];
        BatchStepper.create(s.params, START, 1).step(s.copyOfStates(), s.chunks, s.conditioning, scores);

        Map<String, double[]> expected = new LinkedHashMap<>();
        Map<String, double[]> actual = new LinkedHashMap<>();
        for (int i = 0; i < s.chunks.length; i++) {
            int[] chunk = s.chunks[i];
            double[] want = new double[chunk.length];
            for (int t = 0; t < chunk.length; t++) {
                float[] before = t == 0 ? s.distributionOfState(i) : s.alone(i).feed(Arrays.copyOf(chunk, t));
                want[t] = Math.log(before[chunk[t]]);
            }
            if (chunk.length > 0) {
                expected.put("ln p, stream " + i, want);
                actual.put("ln p, stream " + i, toDouble(Arrays.copyOf(scores[i], chunk.length)));
            }
        }
        FastLstmLayerTest.assertAgree(actual, expected);
    }

    @Test
    void aBundlesCodeLengthsAreThoseOfEachStreamScoredAloneByTheFastStepper() {
        Streams s = Streams.random(2, 3, 2);
        float[][] lnP = new float[s.chunks.length][9];
        BatchStepper.create(s.params, START, 2).step(s.copyOfStates(), s.chunks, s.conditioning, lnP);

        Map<String, double[]> expected = new LinkedHashMap<>();
        Map<String, double[]> actual = new LinkedHashMap<>();
        for (int i = 0; i < s.chunks.length; i++) {
            int[] chunk = s.chunks[i];
            if (chunk.length == 0) {
                continue;
            }
            CodeLength alone = new CodeLength();
            alone.score(chunk[0], s.distributionOfState(i));
            s.alone(i).feed(chunk, alone);
            CodeLength bundled = new CodeLength();
            bundled.addLogProbabilities(lnP[i], chunk.length);
            assertThat(bundled.tokens()).isEqualTo(alone.tokens()).isEqualTo(chunk.length);
            expected.put("bits, stream " + i, new double[] {alone.bits()});
            actual.put("bits, stream " + i, new double[] {bundled.bits()});
        }
        FastLstmLayerTest.assertAgree(actual, expected);
    }

    /** What a logit hook changes is what is scored, shown and picked; it sees the top layer's output. */
    @Test
    void aLogitHookChangesWhatIsScoredShownAndPickedAndSeesTheTopLayersOutput() {
        Streams s = Streams.random(2, 0, 1);
        BatchStepper batch = BatchStepper.create(s.params, START, 1);
        float[][] states = s.copyOfStates();
        float[][] lnP = new float[s.chunks.length][9];
        float[][] lastH = new float[s.chunks.length][];
        float[][] next = batch.step(states, s.chunks, null, lnP, (i, t, logits, h) -> {
            logits[t < s.chunks[i].length ? s.chunks[i][t] : 2] += 50f; // the token scored, else token 2
            if (t == s.chunks[i].length) {
                lastH[i] = h;
            }
        });
        int[][] continuations = batch.continueGreedily(states, next, null, 4, -1,
                (i, t, logits, h) -> logits[3] += 50f);

        for (int i = 0; i < s.chunks.length; i++) {
            if (s.chunks[i].length == 0) {
                continue;
            }
            for (int t = 0; t < s.chunks[i].length; t++) {
                assertThat(lnP[i][t]).as("stream %d, token %d", i, t).isGreaterThan(-1e-3f);
            }
            assertThat(next[i][2]).as("stream %d", i).isGreaterThan(0.99f);
            assertThat(lastH[i]).as("stream %d", i).containsExactly(RecurrentState.topHidden(s.config, states[i]));
            assertThat(continuations[i]).as("stream %d", i).containsExactly(2, 3, 3, 3);
        }
        assertThatThrownBy(() -> batch.step(s.copyOfStates(), s.chunks, null, null, (i, t, logits, h) -> {}))
                .hasMessageContaining("give logProbabilities too");
    }

    @Test
    void continuesGreedilyAsEachStreamWouldAloneAndKeepsTheStates() {
        Streams s = Streams.random(2, 0, 1);
        BatchStepper batch = BatchStepper.create(s.params, START, 1);
        float[][] states = s.copyOfStates();
        float[][] next = batch.step(states, s.chunks, null, null);
        float[][] after = Arrays.stream(states).map(float[]::clone).toArray(float[][]::new);
        int stop = 4;
        int[][] continuations = batch.continueGreedily(states, next, null, 6, stop);

        LanguageModel fast = Kernel.FAST.create(s.config);
        for (int i = 0; i < s.chunks.length; i++) {
            assertThat(states[i]).as("stream %d's state", i).containsExactly(after[i]);
            if (next[i] == null) {
                assertThat(continuations[i]).isEmpty();
                continue;
            }
            InferenceSession alone = new InferenceSession(fast, s.params, null, START);
            alone.restore(s.states[i], null);
            alone.feed(s.chunks[i]);
            assertThat(continuations[i]).as("stream %d", i)
                    .containsExactly(alone.generate(6, 0.0, 0, stop, new Random(1)));
        }
    }

    @Test
    void refusesMisshapenInputBeforeChangingAnyState() {
        Streams s = Streams.random(1, 3, 1);
        BatchStepper batch = BatchStepper.create(s.params, START, 1);
        float[][] states = s.copyOfStates();
        int[][] badToken = s.chunks.clone();
        badToken[5] = new int[] {1, VOCAB};
        assertThatThrownBy(() -> batch.step(states, badToken, s.conditioning, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("token id 13");
        float[][] shortState = states.clone();
        shortState[3] = new float[5];
        assertThatThrownBy(() -> batch.step(shortState, s.chunks, s.conditioning, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream 3 has a state of 5 floats");
        assertThatThrownBy(() -> batch.step(states, s.chunks, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conditioned");
        assertThatThrownBy(() -> batch.step(states, s.chunks, s.conditioning, new float[s.chunks.length][2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("room for 2 scores");
        assertThatThrownBy(() -> batch.step(Arrays.copyOf(states, 2), s.chunks, s.conditioning, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 states for 7 streams");
        for (int i = 0; i < states.length; i++) {
            assertThat(states[i]).as("stream %d's state", i).containsExactly(s.states[i]);
        }
        assertThatThrownBy(() -> BatchStepper.create(s.params.castTo(DataType.DOUBLE), START, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FLOAT parameters only");
    }

    /** A model, its parameters, and streams with random states, conditioning and the chunks above. */
    private record Streams(ModelConfig config, ParameterSet params, float[][] states, int[][] chunks,
            float[][] conditioning) {
        static Streams random(int layers, int conditioning, int copies) {
            ModelConfig config = new ModelConfig(VOCAB, 5, 12, layers, CellType.LSTM, conditioning);
            ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, 3).muli(1.5);
            Random random = new Random(layers * 10L + conditioning);
            int streams = CHUNKS.length * copies;
            int[][] chunks = new int[streams][];
            float[][] states = new float[streams][];
            float[][] v = conditioning == 0 ? null : new float[streams][];
            for (int i = 0; i < streams; i++) {
                chunks[i] = CHUNKS[i % CHUNKS.length];
                states[i] = gaussian(random, RecurrentState.flatSize(config));
                if (v != null) {
                    v[i] = gaussian(random, conditioning);
                }
            }
            return new Streams(config, params, states, chunks, v);
        }

        float[][] copyOfStates() {
            return Arrays.stream(states).map(float[]::clone).toArray(float[][]::new);
        }

        RecurrentState state(int i) {
            return RecurrentState.stack(config, List.of(states[i]), DataType.FLOAT);
        }

        /** Stream i's fast single-stream stepper from its state. */
        TokenStepper alone(int i) {
            TokenStepper stepper = Kernel.FAST.create(config)
                    .stepper(params, conditioning == null ? null : conditioning[i], START);
            stepper.setFlatState(states[i]);
            return stepper;
        }

        /** The next token's distribution given stream i's state, before it reads anything. */
        float[] distributionOfState(int i) {
            return SoftmaxHead.INSTANCE.probabilities(params.get(ParameterNames.HEAD_WEIGHTS),
                    params.get(ParameterNames.HEAD_BIAS), state(i).hidden(config.layers() - 1)).toFloatVector();
        }

        private static float[] gaussian(Random random, int n) {
            float[] v = new float[n];
            for (int k = 0; k < n; k++) {
                v[k] = (float) random.nextGaussian();
            }
            return v;
        }
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
