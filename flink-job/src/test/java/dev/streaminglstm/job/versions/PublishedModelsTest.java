package dev.streaminglstm.job.versions;

import static dev.streaminglstm.job.merging.MergerRuns.config;
import static dev.streaminglstm.job.merging.MergerRuns.delta;
import static dev.streaminglstm.job.merging.MergerRuns.mergeAtCompletedCheckpoints;
import static dev.streaminglstm.job.merging.MergerRuns.storedParameters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.nio.file.Path;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** Every way published versions come back into the job, read from versions a real merger wrote to a real store. */
class PublishedModelsTest {
    @TempDir
    Path dir;

    @Test
    void aJobWithNothingPublishedStartsFromTheSeededParametersAndThenFromLatest() throws Exception {
        JobConfig config = config(dir, 1);
        PublishedModels models = StreamingLstmJob.models(config);

        PublishedModels.Start fresh = models.start();
        assertThat(fresh.version()).isZero();
        assertThat(fresh.parameters().toFlatFloats()).isEqualTo(
                ParameterSet.initialize(config.model().config(), DataType.FLOAT, 7).toFlatFloats());

        mergeAtCompletedCheckpoints(config, null, 0.5f, 1, 2);
        PublishedModels.Start latest = models.start();
        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.tokensTrained()).isEqualTo(8);
        assertThat(latest.parameters().toFlatFloats()).isEqualTo(storedParameters(models.open(), 2));
    }

    @Test
    void replicasFollowLatestWhileInferenceServesThePinnedVersion() throws Exception {
        JobConfig config = config(dir, 2);
        PublishedModels models = StreamingLstmJob.models(config);
        ModelStore store = ModelStores.open(config.store().uri());
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1, 2);
        store.pin(1); // inference is rolled back

        ServableModel latest = models.followLatest().poll(0);
        ServableModel serving = models.followServing().poll(0);

        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.parameters().toFlatFloats()).isEqualTo(storedParameters(store, 2));
        assertThat(serving.version()).isEqualTo(1);
        assertThat(serving.parameters().toFlatFloats()).isEqualTo(storedParameters(store, 1));
    }

    @Test
    void aFollowerLooksAtTheStoreAtMostOncePerIntervalAndReturnsOnlyChanges() throws Exception {
        JobConfig config = config(dir, 1);
        PublishedModels models = StreamingLstmJob.models(config);
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1);
        PublishedModels.Follower follower = models.followServing();

        assertThat(follower.poll(1_000).version()).isEqualTo(1);
        assertThat(follower.poll(1_000 + PublishedModels.SERVING_POLL_MS)).as("no change").isNull();
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1); // a new job: version 2
        assertThat(follower.poll(1_000 + PublishedModels.SERVING_POLL_MS + 1)).as("within the interval").isNull();
        assertThat(follower.poll(1_000 + 2 * PublishedModels.SERVING_POLL_MS).version()).isEqualTo(2);
    }

    @Test
    void inferenceNeverServesAVersionBeforeTheCheckpointThatWroteItCompleted() throws Exception {
        JobConfig config = config(dir, 1);
        PublishedModels models = StreamingLstmJob.models(config);
        PublishedModels.Follower serving = models.followServing(10);
        try (var merger = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            merger.open();
            merger.processElement(delta(config.model().config(), 0.5f, 1, 4), 0);
            merger.snapshot(1, 0); // version 1 is written at checkpoint 1, which has not completed

            assertThat(models.open().versionNumbers()).containsExactly(1L);
            for (long now = 0; now <= 1_000; now += 10) {
                assertThat(serving.poll(now)).as("looked at %d ms", now).isNull();
            }
            merger.notifyOfCompletedCheckpoint(1);
            ServableModel served = serving.poll(1_010);
            assertThat(served).as("the first look after the checkpoint completed").isNotNull();
            assertThat(served.version()).isEqualTo(1);
        }
    }

    @Test
    void theGlobalModelOfACheckpointIsTheNewestVersionItWroteAtOrBeforeIt() throws Exception {
        JobConfig config = config(dir, 1);
        PublishedModels models = StreamingLstmJob.models(config);
        mergeAtCompletedCheckpoints(config, null, 0.5f, 3, 5, 9); // versions 1, 2, 3 at checkpoints 3, 5, 9

        assertThat(models.atCheckpoint(6, 1)).get().extracting(PublishedModels.Start::version).isEqualTo(2L);
        assertThat(models.atCheckpoint(9, 1)).get().extracting(PublishedModels.Start::version).isEqualTo(3L);
        assertThat(models.atCheckpoint(6, 3)).as("none at or above version 3 by checkpoint 6").isEmpty();
        assertThat(models.atCheckpoint(2, 1)).as("none by checkpoint 2").isEmpty();
    }

    @Test
    void aStoreHoldingAModelOfAnotherShapeIsNamedAtTheStart() throws Exception {
        mergeAtCompletedCheckpoints(config(dir, 1), null, 0.5f, 1);
        JobConfig wider = JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", dir.toUri().toString(),
                "--embed", "4", "--hidden", "16");

        assertThatThrownBy(() -> StreamingLstmJob.models(wider).start()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("holds version 1 of another model");
        assertThat(StreamingLstmJob.models(wider).followServing().poll(0)).as("never served").isNull();
    }
}
