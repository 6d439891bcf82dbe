package dev.streaminglstm.job.versions;

import static dev.streaminglstm.job.merging.MergerRuns.config;
import static dev.streaminglstm.job.merging.MergerRuns.delta;
import static dev.streaminglstm.job.merging.MergerRuns.mergeAtCompletedCheckpoints;
import static dev.streaminglstm.job.merging.MergerRuns.storedParameters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.nio.file.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
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

        ServableModel latest = models.followLatest().poll(0).model();
        PublishedModels.Served serving = models.followServing().poll(0);

        assertThat(latest.version()).isEqualTo(2);
        assertThat(latest.parameters().toFlatFloats()).isEqualTo(storedParameters(store, 2));
        assertThat(serving.version()).isEqualTo(1);
        assertThat(serving.model().parameters().toFlatFloats()).isEqualTo(storedParameters(store, 1));
        assertThat(serving.draft()).isFalse();
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
            PublishedModels.Served served = serving.poll(1_010);
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

    @Test
    void inferenceServesItsRunsNewestDraftOnceItTookItsCheckpointWhileItHasTrainedMoreThanLatestUnlessPinned() throws Exception {
        JobConfig config = withDrafts(config(dir, 1));
        ModelConfig shape = config.model().config();
        PublishedModels models = StreamingLstmJob.models(config);
        ModelStore store = models.open();
        float[] initial = ParameterSet.initialize(shape, DataType.FLOAT, 7).toFlatFloats();
        try (var merger = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            merger.open();
            PublishedModels.Follower serving = models.followServingAndDrafts(10, run(merger), 0);

            merger.processElement(delta(shape, 0.5f, 1, 4), 0);
            merger.setProcessingTime(DRAFT_MS);
            PublishedModels.Served draft = serving.poll(0);
            assertThat(store.latestVersion()).as("a draft is not a version").isEmpty();
            assertThat(store.versionNumbers()).isEmpty();
            assertThat(draft.draft()).isTrue();
            assertThat(draft.version()).as("a draft of the version the next checkpoint writes").isEqualTo(1);
            assertThat(draft.model().parameters().toFlatFloats()).isEqualTo(plus(initial, 0.5f));

            merger.setProcessingTime(2 * DRAFT_MS);
            assertThat(store.draftNumber()).as("no delta since the last draft: no draft").hasValue(1);
            merger.snapshot(1, 0);
            merger.notifyOfCompletedCheckpoint(1);
            PublishedModels.Served version = serving.poll(10);
            assertThat(version.draft()).as("version 1 holds its draft: the stored version is served").isFalse();
            assertThat(version.version()).isEqualTo(1);
            assertThat(version.model().parameters().toFlatFloats()).isEqualTo(plus(initial, 0.5f));

            merger.processElement(delta(shape, 0.25f, 1, 4), 0);
            merger.setProcessingTime(3 * DRAFT_MS);
            assertThat(serving.poll(15)).as("a draft after checkpoint 1, which inference has not taken yet").isNull();
            serving.checkpointTaken(1);
            PublishedModels.Served second = serving.poll(20);
            assertThat(second.draft()).isTrue();
            assertThat(second.version()).isEqualTo(2);
            assertThat(second.model().parameters().toFlatFloats()).isEqualTo(plus(plus(initial, 0.5f), 0.25f));
            assertThat(serving.poll(30)).as("nothing new").isNull();

            store.pin(1);
            assertThat(serving.poll(40)).extracting(PublishedModels.Served::version, PublishedModels.Served::draft)
                    .as("a pin is served as pinned, drafts or not").containsExactly(1L, false);
            store.unpin();
            assertThat(serving.poll(50)).extracting(PublishedModels.Served::version, PublishedModels.Served::draft)
                    .containsExactly(2L, true);
            assertThat(store.latestVersion()).hasValue(1);
        }
    }

    @Test
    void aDraftOfAnotherRunOrFromBeforeInferenceStartedIsNeverServed() throws Exception {
        JobConfig config = withDrafts(config(dir, 1));
        ModelConfig shape = config.model().config();
        PublishedModels models = StreamingLstmJob.models(config);
        try (var merger = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            merger.open();
            merger.processElement(delta(shape, 0.5f, 1, 4), 0);
            merger.setProcessingTime(DRAFT_MS); // draft 1, before the followers start
            PublishedModels.Follower mine = models.followServingAndDrafts(10, run(merger), 0);
            PublishedModels.Follower anotherRun = models.followServingAndDrafts(10, run(merger) + "0", 0);
            PublishedModels.Follower versionsOnly = models.followServing(10);

            assertThat(mine.poll(0)).as("written before this run's inference started").isNull();
            merger.processElement(delta(shape, 0.5f, 1, 4), 0);
            merger.setProcessingTime(2 * DRAFT_MS);

            assertThat(models.open().draftNumber()).hasValue(2);
            assertThat(anotherRun.poll(0)).isNull();
            assertThat(versionsOnly.poll(0)).isNull();
            assertThat(mine.poll(10)).extracting(PublishedModels.Served::version, PublishedModels.Served::draft)
                    .containsExactly(1L, true);
        }
    }

    @Test
    void afterARestoreInferenceServesTheRestoredCheckpointsVersionWhileLatestIsStillBelowIt() throws Exception {
        JobConfig config = withDrafts(config(dir, 1));
        PublishedModels models = StreamingLstmJob.models(config);
        ModelStore store = models.open();
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1); // version 1, LATEST
        try (var merger = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            merger.open();
            merger.processElement(delta(config.model().config(), 0.25f, 1, 4), 0);
            merger.snapshot(2, 0); // version 2 at checkpoint 2, which completed, but LATEST has not moved yet

            assertThat(store.latestVersion()).hasValue(1);
            assertThat(models.followServingAndDrafts(10, "restored/1", 2).poll(0))
                    .extracting(PublishedModels.Served::version, PublishedModels.Served::draft)
                    .as("restored from checkpoint 2").containsExactly(2L, false);
            assertThat(models.followServingAndDrafts(10, "restored/1", 1).poll(0).version())
                    .as("restored from checkpoint 1").isEqualTo(1);
            store.pin(1);
            assertThat(models.followServingAndDrafts(10, "restored/1", 2).poll(0).version()).as("pinned").isEqualTo(1);
        }
    }

    private static final long DRAFT_MS = 100;

    private static JobConfig withDrafts(JobConfig config) {
        return JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", config.store().uri(),
                "--embed", "4", "--hidden", "8", "--seed", "7", "--draft-interval-ms", Long.toString(DRAFT_MS));
    }

    /** The run of the merger in {@code harness}, as its drafts are labelled. */
    private static String run(OneInputStreamOperatorTestHarness<?, ?> harness) {
        return PublishedModels.run(((AbstractStreamOperator<?>) harness.getOperator()).getRuntimeContext());
    }

    private static float[] plus(float[] values, float added) {
        float[] sum = values.clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += added;
        }
        return sum;
    }
}
