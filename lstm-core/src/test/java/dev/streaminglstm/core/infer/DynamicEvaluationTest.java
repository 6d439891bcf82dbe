package dev.streaminglstm.core.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.infer.DynamicEvaluation.Method;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class DynamicEvaluationTest {
    private static final ModelConfig CONFIG = ModelConfig.lstm(ByteVocabulary.SIZE, 8, 16);
    private static final ServableModel MODEL = new ServableModel(1, Kernel.FAST.create(CONFIG),
            ParameterSet.initialize(CONFIG, DataType.FLOAT, 7));
    private static final byte[] PROSE = "Streams of text arrive; the model learns while it reads them, byte by byte."
            .getBytes(StandardCharsets.UTF_8);

    @Test
    void withoutAdaptationItGivesTheBitsEvalGives() {
        double eval = MODEL.bitsPerToken(ByteVocabulary.startThenBytes(PROSE), 16, null);

        DynamicEvaluation.Result none = DynamicEvaluation.run(MODEL, List.of(PROSE), Method.NONE, 0, 32);

        assertThat(none.tokens()).isEqualTo(PROSE.length);
        assertThat(none.bpc()).isCloseTo(eval, within(1e-4));
    }

    @Test
    void aVanishingRateChangesNothing() {
        double none = DynamicEvaluation.run(MODEL, List.of(PROSE), Method.NONE, 0, 32).bpc();

        assertThat(DynamicEvaluation.run(MODEL, List.of(PROSE), Method.HEAD, 1e-9, 32).bpc())
                .isCloseTo(none, within(1e-4));
        assertThat(DynamicEvaluation.run(MODEL, List.of(PROSE), Method.FULL, 1e-9, 32).bpc())
                .isCloseTo(none, within(1e-4));
    }

    @Test
    void bothAdaptationsLearnASentenceThatRepeats() {
        byte[] repeated = "the same words again and again. ".repeat(24).getBytes(StandardCharsets.UTF_8);

        double none = DynamicEvaluation.run(MODEL, List.of(repeated), Method.NONE, 0, 32).bpc();
        double head = DynamicEvaluation.run(MODEL, List.of(repeated), Method.HEAD, 0.5, 1).bpc();
        double full = DynamicEvaluation.run(MODEL, List.of(repeated), Method.FULL, 1.0, 8).bpc();

        // an untrained model: about log2(258) bits a byte, the same for the last copy as for the first
        assertThat(none).isGreaterThan(7.5);
        assertThat(head).isLessThan(0.6 * none); // 3.3 of 8.0 when written
        assertThat(full).isLessThan(0.6 * none); // 3.0
    }

    @Test
    void eachDocumentStartsFromTheStoredModel() {
        byte[] repeated = "abcabcabcabcabcabcabcabc".getBytes(StandardCharsets.UTF_8);

        double once = DynamicEvaluation.run(MODEL, List.of(repeated), Method.HEAD, 0.1, 1).bpc();
        double twice = DynamicEvaluation.run(MODEL, List.of(repeated, repeated), Method.HEAD, 0.1, 1).bpc();
        double fullOnce = DynamicEvaluation.run(MODEL, List.of(repeated), Method.FULL, 0.3, 8).bpc();
        double fullTwice = DynamicEvaluation.run(MODEL, List.of(repeated, repeated), Method.FULL, 0.3, 8).bpc();

        // the second copy learns nothing from the first: the adaptation is reset with the document
        assertThat(twice).isCloseTo(once, within(1e-5));
        assertThat(fullTwice).isCloseTo(fullOnce, within(1e-4));
    }

    @Test
    void theHeadStepsOncePerWindowAfterScoringIt() {
        byte[] repeated = "abcabcabcabcabcabcabcabc".getBytes(StandardCharsets.UTF_8);

        double none = DynamicEvaluation.run(MODEL, List.of(repeated), Method.NONE, 0, 1).bpc();
        double oneWindow = DynamicEvaluation.run(MODEL, List.of(repeated), Method.HEAD, 0.5, repeated.length).bpc();
        double perByte = DynamicEvaluation.run(MODEL, List.of(repeated), Method.HEAD, 0.5, 1).bpc();
        double perEight = DynamicEvaluation.run(MODEL, List.of(repeated), Method.HEAD, 0.5, 8).bpc();

        // a window as long as the document is scored before any step: the model as it is
        assertThat(oneWindow).isCloseTo(none, within(1e-4));
        assertThat(perByte).isLessThan(perEight);
        assertThat(perEight).isLessThan(none);
    }

    @Test
    void badSettingsAreRefused() {
        assertThatThrownBy(() -> DynamicEvaluation.run(MODEL, List.of(PROSE), Method.HEAD, 0, 32))
                .hasMessageContaining("rate of HEAD must be above 0");
        assertThatThrownBy(() -> DynamicEvaluation.run(MODEL, List.of(PROSE), Method.FULL, 0.1, 0))
                .hasMessageContaining("window must be at least 1");
        assertThatThrownBy(() -> DynamicEvaluation.run(MODEL, List.of(new byte[0]), Method.NONE, 0, 32))
                .hasMessageContaining("no bytes");
    }
}
