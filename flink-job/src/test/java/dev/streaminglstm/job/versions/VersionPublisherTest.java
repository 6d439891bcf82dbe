package dev.streaminglstm.job.versions;

import static dev.streaminglstm.job.merging.MergerRuns.config;
import static dev.streaminglstm.job.merging.MergerRuns.delta;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.merging.GlobalModel;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.store.ModelStore;
import java.nio.file.Path;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Version numbering and the move of LATEST, on a real file store. */
class VersionPublisherTest {
    @TempDir
    Path dir;

    private final AtomicInteger written = new AtomicInteger();

    private VersionPublisher publisher(JobConfig config) throws Exception {
        PublishedModels models = StreamingLstmJob.models(config);
        return new VersionPublisher(models.open(), models, StreamingLstmJob.manifests(config), written::incrementAndGet);
    }

    private static GlobalModel global(JobConfig config) throws Exception {
        PublishedModels.Start start = StreamingLstmJob.models(config).start();
        return new GlobalModel(config.model().config(), start.parameters(), 0, 0, 0, Double.NaN, TrainedLoss.NONE,
                false);
    }

    @Test
    void aVersionIsWrittenOnlyWhenTheModelChangedAndServedOnlyOnceItsCheckpointCompleted() throws Exception {
        JobConfig config = config(dir, 1);
        ModelStore store = StreamingLstmJob.models(config).open();
        VersionPublisher publisher = publisher(config);
        GlobalModel global = global(config);
        publisher.startFresh(0);

        publisher.publish(global, 1);
        assertThat(written).as("nothing changed").hasValue(0);

        global.add(delta(config.model().config(), 0.5f, 1, 4), 1);
        publisher.publish(global, 2);
        assertThat(written).hasValue(1);
        assertThat(publisher.version()).isEqualTo(1);
        assertThat(publisher.awaitingCommit()).containsEntry(2L, 1L);
        assertThat(store.latestVersion()).as("not before checkpoint 2 completes").isEmpty();

        publisher.checkpointCompleted(1);
        assertThat(store.latestVersion()).as("an earlier checkpoint").isEmpty();
        publisher.checkpointCompleted(2);
        assertThat(store.latestVersion()).hasValue(1);
        assertThat(publisher.committedVersion()).isEqualTo(1);
        assertThat(publisher.awaitingCommit()).isEmpty();
    }

    @Test
    void aFreshStartNumbersAboveEveryVersionInTheStoreAndRecordsItsParent() throws Exception {
        JobConfig config = config(dir, 1);
        VersionPublisher first = publisher(config);
        GlobalModel global = global(config);
        first.startFresh(0);
        for (long checkpoint = 1; checkpoint <= 3; checkpoint++) {
            global.add(delta(config.model().config(), 0.5f, 1, 4), 1);
            first.publish(global, checkpoint);
        }
        first.checkpointCompleted(2); // version 3 of checkpoint 3 is written, never LATEST

        VersionPublisher second = publisher(config);
        second.startFresh(2); // continuing from LATEST
        global.add(delta(config.model().config(), 0.5f, 1, 4), 1);
        second.publish(global, 1);

        assertThat(second.version()).as("above version 3, which another run wrote").isEqualTo(4);
        assertThat(second.parentOfVersion()).isEqualTo(2);
        assertThat(StreamingLstmJob.models(config).open().readVersion(4).manifest().getParentVersion()).isEqualTo(2);
    }

    @Test
    void aRestoreMakesTheRestoredCheckpointsVersionLatest() throws Exception {
        JobConfig config = config(dir, 1);
        VersionPublisher publisher = publisher(config);
        GlobalModel global = global(config);
        publisher.startFresh(0);
        global.add(delta(config.model().config(), 0.5f, 1, 4), 1);
        publisher.publish(global, 7); // the job fails before checkpoint 7's completion is noticed

        VersionPublisher restored = publisher(config);
        restored.restore(publisher.version(), publisher.parentOfVersion(), new TreeMap<>(publisher.awaitingCommit()),
                global);

        assertThat(StreamingLstmJob.models(config).open().latestVersion()).hasValue(1);
        assertThat(restored.committedVersion()).isEqualTo(1);
    }
}
