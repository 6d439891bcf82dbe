package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.nn.WindowResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A whole {@link LanguageModel} (embedding, 2 LSTM layers, conditioning, head) on
 * {@link FastLanguageModel} (fast LSTM layer and head) against the same model on the reference layers: loss, every parameter
 * gradient, the carried-state gradient and the next state, from a random carried state with a
 * reset stream and {@code <start>} tokens. To {@link FastLstmLayerTest#FLOAT_TOLERANCE} in FLOAT;
 * exactly equal in DOUBLE, which the fast layer hands to the generic one. Batch 2 (16 input rows
 * for a vocabulary of 11) runs the first layer's input projection as a product; batches 3 and 13
 * fold it into the embedding ({@link FastLstmLayer#FOLD_FROM_ROWS_PER_TOKEN}).
 */
class FastLanguageModelTest {
    static final int VOCAB = 11;
    static final int START = 7;

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {2, 3, 13})
    void matchesTheGenericModelInFloat(int batch) {
        Case c = Case.random(batch, DataType.FLOAT);
        FastLstmLayerTest.assertAgree(c.run(FastLanguageModel.create(c.config)),
                c.run(new LanguageModel(c.config)));
    }

    @ParameterizedTest(name = "batch {0}")
    @ValueSource(ints = {2, 3, 13})
    void equalsTheGenericModelInDouble(int batch) {
        Case c = Case.random(batch, DataType.DOUBLE);
        Map<String, double[]> fast = c.run(FastLanguageModel.create(c.config));
        Map<String, double[]> generic = c.run(new LanguageModel(c.config));
        assertThat(fast.keySet()).containsExactlyElementsOf(generic.keySet());
        generic.forEach((name, values) -> assertThat(fast.get(name)).as(name).containsExactly(values));
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
