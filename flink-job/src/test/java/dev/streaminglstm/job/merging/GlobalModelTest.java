package dev.streaminglstm.job.merging;

import static dev.streaminglstm.job.merging.MergerRuns.delta;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.training.ParameterDelta;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** The global model: deltas averaged over the replicas, bad ones rejected. */
class GlobalModelTest {
    static final ModelConfig MODEL = ModelConfig.lstm(ByteVocabulary.SIZE, 4, 8);

    static GlobalModel zeros() {
        return new GlobalModel(MODEL, ParameterSet.zeros(MODEL, DataType.FLOAT), 10, 2, 0, Double.NaN, TrainedLoss.NONE,
                false);
    }

    @Test
    void deltasAreAveragedOverTheReplicasAndCounted() {
        GlobalModel global = zeros();

        assertThat(global.add(delta(MODEL, 0.5f, 3, 12), 2)).isNull();
        assertThat(global.add(delta(MODEL, 0.25f, 1, 4), 2)).isNull();

        assertThat(global.parameters().toFlatFloats()).containsOnly(0.375f);
        assertThat(global.tokens()).isEqualTo(26);
        assertThat(global.windows()).isEqualTo(6);
        assertThat(global.changed()).isTrue();
        assertThat(global.recentLossBpc()).as("each delta reports 2 nats per token")
                .isCloseTo(2 / Math.log(2), Offset.offset(1e-12));
        global.written();
        assertThat(global.changed()).isFalse();
    }

    @Test
    void theTrainingLossOfEveryTokenIsSummedAndANonFiniteOneLeftOut() {
        GlobalModel global = zeros();
        ParameterDelta second = delta(MODEL, 0.25f, 1, 4);
        second.lossNats = 4 * 1.0;
        ParameterDelta skipped = delta(MODEL, 0.25f, 1, 4);
        skipped.lossNats = Double.NaN;

        global.add(delta(MODEL, 0.5f, 3, 12), 2);
        global.add(second, 2);
        global.add(skipped, 2);

        assertThat(global.trainedLoss().tokens()).as("the tokens of the two finite deltas").isEqualTo(16);
        assertThat(global.trainedLoss().bpc()).as("12 tokens at 2 nats and 4 at 1, over every one of them")
                .isCloseTo((12 * 2.0 + 4 * 1.0) / 16 / Math.log(2), Offset.offset(1e-12));
        assertThat(global.tokens()).as("the tokens counted whatever their loss").isEqualTo(30);
    }

    @Test
    void aDeltaOfTheWrongSizeOrNotFiniteIsRejectedAndChangesNothing() {
        GlobalModel global = zeros();
        ParameterDelta shorter = delta(MODEL, 0.5f, 1, 4);
        shorter.delta = java.util.Arrays.copyOf(shorter.delta, shorter.delta.length - 1);
        ParameterDelta infinite = delta(MODEL, 0.5f, 1, 4);
        infinite.delta[7] = Float.POSITIVE_INFINITY;
        ParameterDelta missing = delta(MODEL, 0.5f, 1, 4);
        missing.delta = null;

        assertThat(global.add(shorter, 1)).isEqualTo("wrong size");
        assertThat(global.add(infinite, 1)).isEqualTo("not finite");
        assertThat(global.add(missing, 1)).isEqualTo("wrong size");

        assertThat(global.parameters().toFlatFloats()).containsOnly(0f);
        assertThat(global.tokens()).isEqualTo(10);
        assertThat(global.changed()).isFalse();
        assertThat(global.recentLossBpc()).isNaN();
        assertThat(global.trainedLoss()).isEqualTo(TrainedLoss.NONE);
    }
}
