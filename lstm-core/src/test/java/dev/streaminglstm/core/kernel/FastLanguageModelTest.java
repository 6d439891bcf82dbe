package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.nn.WindowResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A whole {@link LanguageModel} (embedding, 2 LSTM layers, conditioning, head) on
 * {@link Kernel#FAST} against the same model on {@link Kernel#REFERENCE}: loss, every parameter
 * gradient, the carried-state gradient and the next state, from a random carried state with a
 * reset stream and {@code <start>} tokens, to {@link FastLstmLayerTest#FLOAT_TOLERANCE}. Batch 2
 * (16 input rows for a vocabulary of 11) runs the first layer's input projection as a product;
 * batches 3, 13 and 40 fold it into the embedding ({@link FastLstmLayer#FOLD_FROM_ROWS_PER_TOKEN});
 * batch 40 on 2 and 3 threads splits the streams into parts. And what the fast kernel refuses:
 * RNN cells and parameters other than FLOAT, with a message that names the reference kernel.
 */
class FastLanguageModelTest {
    static final int VOCAB = 11;
    static final int START = 7;

    @ParameterizedTest(name = "batch {0}, {1} threads")
    @CsvSource({"2, 1", "3, 1", "13, 1", "40, 1", "40, 2", "40, 3", "13, 2"})
    void matchesTheReferenceKernelInFloat(int batch, int threads) {
        Case c = Case.random(batch, DataType.FLOAT);
        FastLstmLayerTest.assertAgree(c.run(Kernel.FAST.create(c.config, threads)),
                c.run(Kernel.REFERENCE.create(c.config)));
    }

    @Test
    void reusesItsBuffersWithoutCarryingAnythingOver() {
        LanguageModel fast = Kernel.FAST.create(Case.random(13, DataType.FLOAT).config, 2);
        Case c = Case.random(13, DataType.FLOAT);
        Map<String, double[]> first = c.run(fast);
        Case.random(3, DataType.FLOAT).run(fast); // other shapes in between take and give back other buffers
        Case.random(40, DataType.FLOAT).run(fast);
        Map<String, double[]> again = c.run(fast);
        first.forEach((name, values) -> assertThat(again.get(name)).as(name).containsExactly(values));
    }

    @Test
    void writesIntoAGivenGradientSetWhateverItHeld() {
        Case c = Case.random(3, DataType.FLOAT);
        LanguageModel fast = Kernel.FAST.create(c.config);
        WindowResult fresh = fast.forwardBackward(c.params, c.carried, c.window);
        ParameterSet held = c.params.zerosLike();
        held.asMap().values().forEach(a -> a.assign(Double.NaN));
        WindowResult reused = fast.forwardBackward(c.params, c.carried, c.window, held);
        assertThat(reused.gradients()).isSameAs(held);
        assertThat(held.toFlatFloats()).containsExactly(fresh.gradients().toFlatFloats());
        assertThatThrownBy(() -> fast.forwardBackward(c.params, c.carried, c.window,
                c.params.castTo(DataType.DOUBLE))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesParametersOtherThanFloat() {
        Case c = Case.random(3, DataType.DOUBLE);
        LanguageModel fast = Kernel.FAST.create(c.config);
        ParameterSet before = c.params.copy();
        for (ThrowingCallable call : List.<ThrowingCallable>of(
                () -> fast.forwardBackward(c.params, c.carried, c.window),
                () -> fast.evaluate(c.params, c.carried, c.window),
                () -> fast.feed(c.params, c.carried, new int[][] {{1, 2}, {3, 4}, {5, 6}}, new float[3][3], START),
                () -> fast.stepper(c.params, new float[3], START))) {
            assertThatThrownBy(call).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("FLOAT parameters only, not DOUBLE").hasMessageContaining("Kernel.REFERENCE");
        }
        assertThat(c.params.toFlatFloats()).as("refused calls change nothing").containsExactly(before.toFlatFloats());
    }

    @Test
    void refusesRnnCells() {
        ModelConfig rnn = new ModelConfig(VOCAB, 5, 12, 2, CellType.RNN, 3);
        assertThatThrownBy(() -> Kernel.FAST.create(rnn)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("LSTM cells only, not RNN").hasMessageContaining("Kernel.REFERENCE");
        assertThatThrownBy(() -> BatchStepper.create(ParameterSet.initialize(rnn, DataType.FLOAT, 1), START, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LSTM cells only");
    }

    @Test
    void saysWhatEachKernelRuns() {
        ModelConfig lstm = new ModelConfig(VOCAB, 5, 12, 2, CellType.LSTM, 3);
        ModelConfig rnn = lstm.withCell(CellType.RNN);
        assertThat(Kernel.FAST.supports(lstm, DataType.FLOAT)).isTrue();
        assertThat(Kernel.FAST.supports(lstm, DataType.DOUBLE)).isFalse();
        assertThat(Kernel.FAST.supports(lstm, DataType.HALF)).isFalse();
        assertThat(Kernel.FAST.supports(rnn, DataType.FLOAT)).isFalse();
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            assertThat(Kernel.REFERENCE.supports(lstm, type)).isTrue();
            assertThat(Kernel.REFERENCE.supports(rnn, type)).isTrue();
        }
        assertThat(Kernel.fastestFor(lstm, DataType.FLOAT)).isEqualTo(Kernel.FAST);
        assertThat(Kernel.fastestFor(lstm, DataType.DOUBLE)).isEqualTo(Kernel.REFERENCE);
        assertThat(Kernel.fastestFor(rnn, DataType.FLOAT)).isEqualTo(Kernel.REFERENCE);
        assertThat(Kernel.FAST.create(lstm).kernel()).isEqualTo("fast");
        assertThat(Kernel.REFERENCE.create(rnn).kernel()).isEqualTo("reference");
        assertThatThrownBy(() -> Kernel.REFERENCE.create(lstm, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Kernel.FAST.create(lstm, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theFormerEntryPointPicksTheFastestKernelForFloat() {
        ModelConfig lstm = new ModelConfig(VOCAB, 5, 12, 2, CellType.LSTM, 3);
        assertThat(FastLanguageModel.create(lstm).kernel()).isEqualTo("fast");
        assertThat(FastLanguageModel.create(lstm.withCell(CellType.RNN)).kernel()).isEqualTo("reference");
    }

    /** A model, its parameters, a carried state and a window, all random. */
    record Case(ModelConfig config, ParameterSet params, RecurrentState carried, WindowBatch window) {
        static Case random(int batch, DataType type) {
            ModelConfig config = new ModelConfig(VOCAB, 5, 12, 2, CellType.LSTM, 3);
            ParameterSet params = ParameterSet.initialize(config, type, 42).muli(1.5);
            Random random = new Random(batch);
            int[][] tokens = new int[batch][9];
            float[][] conditioning = new float[batch][3];
            boolean[] reset = new boolean[batch];
            for (int b = 0; b < batch; b++) {
                for (int t = 0; t < tokens[b].length; t++) {
                    tokens[b][t] = random.nextInt(VOCAB);
                }
                for (int k = 0; k < 3; k++) {
                    conditioning[b][k] = (float) random.nextGaussian();
                }
                reset[b] = b % 4 == 1;
            }
            tokens[0][3] = START;
            tokens[batch - 1][0] = START;
            INDArray[] h = new INDArray[2];
            INDArray[] c = new INDArray[2];
            for (int l = 0; l < 2; l++) {
                h[l] = Nd4j.rand(type, batch, 12).subi(0.5).muli(1.6);
                c[l] = Nd4j.rand(type, batch, 12).subi(0.5).muli(3);
            }
            return new Case(config, params, RecurrentState.of(h, c), new WindowBatch(tokens, reset, conditioning, START));
        }

        /** Everything a training window and an evaluation give back, as doubles. */
        Map<String, double[]> run(LanguageModel model) {
            WindowResult r = model.forwardBackward(params, carried, window);
            Map<String, double[]> out = new LinkedHashMap<>();
            out.put("loss", new double[] {r.lossNats()});
            for (String name : params.names()) {
                out.put("gradient " + name, values(r.gradients().get(name)));
            }
            for (int l = 0; l < config.layers(); l++) {
                out.put("next h" + l, values(r.nextState().hidden(l)));
                out.put("next c" + l, values(r.nextState().cell(l)));
                out.put("dh0 " + l, values(r.initialStateGradient().hidden(l)));
                out.put("dc0 " + l, values(r.initialStateGradient().cell(l)));
            }
            LanguageModel.Evaluation e = model.evaluate(params, carried, window);
            out.put("evaluation loss", new double[] {e.lossNats()});
            out.put("evaluation next h1", values(e.nextState().hidden(1)));
            return out;
        }

        private static double[] values(INDArray a) {
            return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        }
    }
}
