package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The global versions training replicas rebase on, from versions a real merger wrote to a real store. */
class GlobalModelSourceTest {
    @TempDir
    Path dir;

    @Test
    void trainingReplicasFollowLatestWhileAnOlderVersionIsPinnedForInference() throws Exception {
        JobConfig config = ModelMergerTest.config(dir, 2);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        ModelStore store = ModelStores.open(config.store());
        ModelMergerTest.mergeAtCompletedCheckpoints(config, null, 0.5f, 1, 2);
        store.pin(1); // inference is rolled back

        GlobalModelSource.Version newer = new GlobalModelSource(config.store(), shape).newerThan(1);

        assertThat(newer).isNotNull();
        assertThat(newer.version()).isEqualTo(2);
        assertThat(newer.parameters().toFlatFloats()).isEqualTo(ModelMergerTest.storedParameters(store, 2));
        assertThat(store.servingVersion()).hasValue(1);
    }
}
