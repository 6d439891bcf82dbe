package dev.streaminglstm.core.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.infer.Evaluator;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Learning, end to end in float on the production kernel: several streams read a repeating text in windows with carried
 * state; the model's bpc on it falls from about log2(258) to under 0.1, and greedy sampling then
 * continues the pattern.
 */
class LearningTest {
    static final String PATTERN = "the cat sat on the mat. ";
    static final int WINDOW = 16;
    static final int STREAMS = 4;

    @ParameterizedTest
    @EnumSource(value = CellType.class)
    void learnsARepeatingPatternAndReproducesIt(CellType cell) {
        ModelConfig config = new ModelConfig(ByteVocabulary.SIZE, 16, 64, 1, cell, 0);
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, 3);
        LanguageModel model = Kernel.fastestFor(config, DataType.FLOAT).create(config);
        Trainer trainer = new Trainer(model, params,
                Optimizer.create(OptimizerConfig.adam(1e-2, 5.0), config, DataType.FLOAT));

        int[] text = ByteVocabulary.encodeDocument(PATTERN.repeat(40));
        int[] heldOut = ByteVocabulary.encode(PATTERN.repeat(6));
        double before = Evaluator.bitsPerToken(model, params, heldOut, 64, ByteVocabulary.START, null);

        Random random = new Random(5);
        int[] offsets = new int[STREAMS];
        for (int b = 0; b < STREAMS; b++) {
            offsets[b] = random.nextInt(PATTERN.length());
        }
        RecurrentState state = RecurrentState.zeros(config, STREAMS, DataType.FLOAT);
        for (int step = 0; step < 500; step++) {
            int[][] windows = new int[STREAMS][];
            boolean[] reset = new boolean[STREAMS];
            for (int b = 0; b < STREAMS; b++) {
                if (offsets[b] + WINDOW + 1 > text.length) {
                    offsets[b] = 0; // a stream starts the document again
                }
                reset[b] = offsets[b] == 0;
                windows[b] = Arrays.copyOfRange(text, offsets[b], offsets[b] + WINDOW + 1);
                offsets[b] += WINDOW;
            }
            state = trainer.train(state, new WindowBatch(windows, reset, null, ByteVocabulary.START)).nextState();
        }
        double after = Evaluator.bitsPerToken(model, params, heldOut, 64, ByteVocabulary.START, null);
        System.out.printf("%s: %.3f bpc before, %.4f bpc after %d windows%n", cell, before, after,
                trainer.windowsTrained());

        assertThat(before).isGreaterThan(7.0);
        assertThat(after).isLessThan(0.1);
        assertThat(trainer.optimizer().stepsSkipped()).isZero();

        InferenceSession session = new InferenceSession(model, params, null, ByteVocabulary.START);
        session.feed(ByteVocabulary.START);
        session.feed(ByteVocabulary.encode("the cat sat"));
        int[] continuation = session.generate(PATTERN.length() * 2, 0.0, 0, -1, new Random(1));
        assertThat(ByteVocabulary.decode(continuation)).isEqualTo(" on the mat. the cat sat on the mat. the cat sat");
    }
}
