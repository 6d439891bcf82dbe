package dev.streaminglstm.job.training;

import static dev.streaminglstm.job.training.ReplicaTest.MODEL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.job.versions.PublishedModels;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** How subtasks start after a restore at another parallelism. */
class RescalePlanTest {

    /** An old subtask's snapshot: base {@code base}, replica {@code base + moved} in every value, its progress. */
    private static ReplicaSnapshot old(int subtask, long baseVersion, float base, float moved, Progress unsent)
            throws Exception {
        int n = (int) ParameterSet.zeros(MODEL, DataType.FLOAT).size();
        float[] b = new float[n];
        float[] r = new float[n];
        java.util.Arrays.fill(b, base);
        java.util.Arrays.fill(r, base + moved);
        byte[] optimizer = ReplicaTest.replica(0, subtask).optimizerState();
        optimizer[optimizer.length - 1] ^= (byte) subtask; // tell the subtasks' states apart
        return new ReplicaSnapshot(subtask, baseVersion, r, b, optimizer, unsent);
    }

    private static PublishedModels.Start global(long version, float value) {
        ParameterSet p = ParameterSet.zeros(MODEL, DataType.FLOAT);
        p.asMap().values().forEach(a -> a.assign(value));
        return new PublishedModels.Start(version, p, 0, 0, 0, TrainedLoss.NONE);
    }

    @Test
    void everySubtaskStartsFromTheGlobalModelPlusTheAveragedUnsentDeltasAndSubtaskZeroSendsThemOnce()
            throws Exception {
        List<ReplicaSnapshot> old = List.of(
                old(1, 4, 1f, 0.5f, new Progress(3, 30, 6.0, 1)),
                old(0, 5, 1f, 0.25f, new Progress(2, 20, 4.0, 0)));
        long[] asked = new long[1];

        RescalePlan zero = RescalePlan.of(old, 0, 3, MODEL, min -> {
            asked[0] = min;
            return Optional.of(global(6, 2f));
        });
        RescalePlan two = RescalePlan.of(old, 2, 3, MODEL, min -> Optional.of(global(6, 2f)));

        assertThat(asked[0]).as("at or above the newest old base").isEqualTo(5);
        assertThat(zero.baseVersion()).isEqualTo(6);
        assertThat(zero.start().toFlatFloats()).as("2 + (0.5 + 0.25) / 2").containsOnly(2.375f);
        assertThat(two.start().toFlatFloats()).isEqualTo(zero.start().toFlatFloats());
        assertThat(zero.inherited().windows).isEqualTo(5);
        assertThat(zero.inherited().tokens).isEqualTo(50);
        assertThat(zero.inherited().lossNats).isEqualTo(10.0);
        assertThat(zero.inherited().skippedSteps).isEqualTo(1);
        assertThat(zero.inherited().delta).as("(0.5 + 0.25) * 3 / 2: scaled for the merger, which divides by 3")
                .containsOnly(1.125f);
        assertThat(two.inherited()).as("only subtask 0 sends it").isNull();
        assertThat(zero.optimizerState()).isEqualTo(old.get(1).optimizer()); // old subtask 0
        assertThat(two.optimizerState()).isEqualTo(old.get(1).optimizer()); // 2 mod 2 = 0
        assertThat(RescalePlan.of(old, 1, 3, MODEL, min -> Optional.of(global(6, 2f))).optimizerState())
                .isEqualTo(old.get(0).optimizer()); // old subtask 1
    }

    @Test
    void withoutTheCheckpointsGlobalModelReplicasStartFromTheNewestOldBase() throws Exception {
        List<ReplicaSnapshot> old = List.of(old(0, 4, 1f, 0f, Progress.NONE), old(1, 7, 3f, 0f, Progress.NONE));

        RescalePlan plan = RescalePlan.of(old, 0, 1, MODEL, min -> Optional.empty());

        assertThat(plan.baseVersion()).isEqualTo(7);
        assertThat(plan.start().toFlatFloats()).containsOnly(3f);
        assertThat(plan.inherited()).as("no unsent progress").isNull();
    }
}
