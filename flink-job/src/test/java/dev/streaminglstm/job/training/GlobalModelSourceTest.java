package dev.streaminglstm.job.training;

import static dev.streaminglstm.job.training.ModelMergerTest.delta;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.nio.file.Path;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The global versions training replicas rebase on, from versions a real merger wrote to a real store. */
class GlobalModelSourceTest {
    @TempDir
    Path dir;

    @Test
    void trainingReplicasFollowLatestWhileAnOlderVersionIsPinnedForInference() throws Exception {
        JobConfig config = JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", dir.toUri().toString(),
                "--embed", "4", "--hidden", "8", "--seed", "7", "--parallelism", "2");
        ModelConfig shape = TrainingSetup.modelConfig(config);
        ModelStore store = ModelStores.open(config.store());
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            h.open();
            for (long checkpoint = 1; checkpoint <= 2; checkpoint++) {
                h.processElement(delta(shape, 0.5f, 1, 4), 0);
                h.snapshot(checkpoint, 0);
                h.notifyOfCompletedCheckpoint(checkpoint);
            }
        }
        store.pin(1); // inference is rolled back

        GlobalModelSource.Version newer = new GlobalModelSource(config.store(), shape).newerThan(1);

        assertThat(newer).isNotNull();
        assertThat(newer.version()).isEqualTo(2);
        assertThat(newer.parameters().toFlatFloats()).isEqualTo(ModelMergerTest.storedParameters(store, 2));
        assertThat(store.servingVersion()).hasValue(1);
    }
}
