package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.TrainingSettings.PartialBatchStep;
import dev.streaminglstm.job.config.TrainingSettings;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;

/** A training replica: its deltas, its rebase on newer global versions, its snapshot. */
class ReplicaTest {
    static final ModelConfig MODEL = ModelConfig.lstm(ByteVocabulary.SIZE, 4, 8);
    static final OptimizerConfig ADAM = OptimizerConfig.adam(2e-3, 5);

    static Replica replica(long version, long seed) {
        return Replica.start(MODEL, Kernel.FAST, ADAM, version, ParameterSet.initialize(MODEL, DataType.FLOAT, seed));
    }

    static List<TokenWindow> batch() {
        return List.of(new TokenWindow("a", new int[] {ByteVocabulary.START, 'a', 'b', 'c', 'd'}, null, null),
                new TokenWindow("b", new int[] {'e', 'f', 'g', 'h', 'i'}, null, null));
    }

    private static float[] minus(float[] a, float[] b) {
        float[] d = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i] - b[i];
        }
        return d;
    }

    @Test
    void aDeltaIsHowFarTheReplicaMovedSinceTheLastOneWithWhatItTrained() {
        Replica replica = replica(3, 7);
        float[] start = replica.parameters().toFlatFloats();
        assertThat(replica.takeDelta(0)).as("nothing trained, nothing to send").isNull();

        replica.train(batch());
        assertThat(replica.deltaDue(2)).isTrue();
        assertThat(replica.deltaDue(3)).isFalse();
        float[] afterFirst = replica.parameters().toFlatFloats();
        ParameterDelta first = replica.takeDelta(1);

        assertThat(first.subtask).isEqualTo(1);
        assertThat(first.baseVersion).isEqualTo(3);
        assertThat(first.windows).isEqualTo(2);
        assertThat(first.tokens).isEqualTo(8);
        assertThat(first.lossNats).isPositive();
        assertThat(first.delta).isEqualTo(ParameterSet.fromFlatFloats(MODEL, afterFirst, DataType.FLOAT)
                .subi(ParameterSet.fromFlatFloats(MODEL, start, DataType.FLOAT)).toFlatFloats());
        assertThat(replica.deltaDue(1)).as("sent: nothing left").isFalse();

        replica.train(batch());
        ParameterDelta second = replica.takeDelta(1);
        assertThat(second.delta).as("taken against the replica when the first was sent")
                .isEqualTo(ParameterSet.fromFlatFloats(MODEL, replica.parameters().toFlatFloats(), DataType.FLOAT)
                        .subi(ParameterSet.fromFlatFloats(MODEL, afterFirst, DataType.FLOAT)).toFlatFloats());
    }

    @ParameterizedTest
    @CsvSource({"FULL, 1", "SQRT, 0.5", "LINEAR, 0.25"})
    void aPartlyFilledBatchStepsByItsRule(PartialBatchStep rule, double factor) {
        Replica full = replica(1, 7);
        Replica partial = replica(1, 7);
        partial.stepSizes(TrainingSettings.parse("--partial-batch-step", rule.name(), "--batch", "8")); // two of eight
        float[] start = full.parameters().toFlatFloats();

        full.train(batch());
        partial.train(batch());

        // Adam's first step moves each weight by the learning rate times g / (|g| + eps): the rate alone scales it
        float[] fullStep = minus(full.parameters().toFlatFloats(), start);
        float[] partialStep = minus(partial.parameters().toFlatFloats(), start);
        for (int i = 0; i < start.length; i++) {
            assertThat(partialStep[i]).as("parameter %d", i).isCloseTo((float) (factor * fullStep[i]), within(5e-7f));
        }
        assertThat(PartialBatchStep.LINEAR.factor(8, 8)).as("a full batch steps in full").isEqualTo(1.0);
        assertThat(PartialBatchStep.SQRT.factor(8, 8)).isEqualTo(1.0);
    }

    @Test
    void aRebaseTakesTheNewerGlobalModelAndKeepsTheLocalProgress() {
        Replica replica = replica(1, 7);
        float[] base = replica.parameters().toFlatFloats();
        replica.train(batch());
        float[] local = minus(replica.parameters().toFlatFloats(), base);
        ParameterSet global = ParameterSet.initialize(MODEL, DataType.FLOAT, 99);

        replica.rebaseOn(5, global);

        assertThat(replica.baseVersion()).isEqualTo(5);
        assertThat(replica.parameters().toFlatFloats()).isEqualTo(
                global.copy().addi(ParameterSet.fromFlatFloats(MODEL, local, DataType.FLOAT)).toFlatFloats());
        ParameterDelta d = replica.takeDelta(0);
        assertThat(d.baseVersion).isEqualTo(5);
        assertThat(d.delta).as("the local progress, now against the global model").isEqualTo(
                replica.parameters().copy().subi(global).toFlatFloats());
    }

    @Test
    void aRestoredSnapshotTrainsOnExactlyAsTheReplicaWould() throws Exception {
        Replica original = replica(2, 7);
        original.train(batch());
        Replica restored = Replica.restore(MODEL, Kernel.FAST, ADAM,
                ReplicaSnapshot.fromBytes(original.snapshot(0).toBytes()));

        original.train(batch());
        restored.train(batch());

        assertThat(restored.parameters().toFlatFloats()).isEqualTo(original.parameters().toFlatFloats());
        assertThat(restored.optimizerState()).isEqualTo(original.optimizerState());
        ParameterDelta a = original.takeDelta(0);
        ParameterDelta b = restored.takeDelta(0);
        assertThat(b.delta).isEqualTo(a.delta);
        assertThat(b.windows).as("unsent progress survives the snapshot").isEqualTo(a.windows).isEqualTo(4);
        assertThat(b.lossNats).isEqualTo(a.lossNats);
    }
}
