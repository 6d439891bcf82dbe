package dev.streaminglstm.job.merging;

import static dev.streaminglstm.job.merging.MergerRuns.config;
import static dev.streaminglstm.job.merging.MergerRuns.delta;
import static dev.streaminglstm.job.merging.MergerRuns.mergeAtCompletedCheckpoints;
import static dev.streaminglstm.job.merging.MergerRuns.storedParameters;
import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.training.ParameterDelta;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The merger on Flink's test harness, with a real file store. */
class ModelMergerTest {
    @TempDir
    Path dir;

    /** The configuration of every test at parallelism 1, its model's shape, and its store. */
    JobConfig config;
    ModelConfig shape;
    ModelStore store;

    @BeforeEach
    void openStore() throws IOException {
        config = config(dir, 1);
        shape = config.model().config();
        store = ModelStores.open(config.store().uri());
    }

    /** A merger of {@link #config} whose store fails as {@code flaky} is told to. */
    ModelMerger mergerOn(FlakyModelStore flaky) {
        return new ModelMerger(StreamingLstmJob.models(config), StreamingLstmJob.manifests(config), 1, 0,
                models -> flaky.wrap(models.open()));
    }

    @Test
    void aVersionIsWrittenAtTheCheckpointAndServedOnlyOnceItCompletes() throws Exception {
        float[] initial = ParameterSet.initialize(shape, DataType.FLOAT, 7).toFlatFloats();
        // Flink ships operators serialized: test the copy it would run.
        ModelMerger shipped = InstantiationUtil.clone(StreamingLstmJob.merger(config));
        try (var h = new OneInputStreamOperatorTestHarness<>(shipped)) {
            h.open();
            h.processElement(delta(shape, 0.25f, 3, 12), 0);
            h.snapshot(1, 0);
            assertThat(store.listVersions()).singleElement().satisfies(m -> {
                assertThat(m.getVersion()).isEqualTo(1);
                assertThat(m.getWindowsTrained()).isEqualTo(3);
                assertThat(m.getTokensTrained()).isEqualTo(12);
                assertThat(m.getRecentLossBpc()).isCloseTo(2.0 / Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
                assertThat(m.getTrainingPrequentialBpc()).isCloseTo(2.0 / Math.log(2),
                        org.assertj.core.data.Offset.offset(1e-9));
                assertThat(m.getTrainingPrequentialTokens()).isEqualTo(12);
                assertThat(m.getCheckpointId()).isEqualTo(1L);
            });
            assertThat(store.latestVersion()).as("not before the checkpoint completes").isEmpty();

            h.notifyOfCompletedCheckpoint(1);
            assertThat(store.latestVersion()).hasValue(1);
            assertThat(storedParameters(store, 1)).isEqualTo(plus(initial, 0.25f));

            h.snapshot(2, 0);
            h.notifyOfCompletedCheckpoint(2);
            assertThat(store.listVersions()).as("nothing new, no new version").hasSize(1);
        }
    }

    @Test
    void deltasOfParallelSubtasksAreAveraged() throws Exception {
        JobConfig parallel = config(dir, 2);
        float[] initial = ParameterSet.initialize(shape, DataType.FLOAT, 7).toFlatFloats();
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(parallel))) {
            h.open();
            h.processElement(delta(shape, 0.5f, 1, 4), 0);
            h.processElement(delta(shape, 1.5f, 1, 4), 0);
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            float[] stored = storedParameters(store, 1);
            for (int i = 0; i < stored.length; i++) {
                assertThat(stored[i]).isCloseTo(initial[i] + 1.0f, org.assertj.core.data.Offset.offset(1e-6f));
            }
            assertThat(store.listVersions().get(0).getWindowsTrained()).isEqualTo(2);
        }
    }

    @Test
    void aNonFiniteDeltaIsRejectedAndNeverPublished() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.open();
            ParameterDelta bad = delta(shape, 0.1f, 1, 4);
            bad.delta[17] = Float.NaN;
            h.processElement(bad, 0);
            ParameterDelta wrongSize = delta(shape, 0.1f, 1, 4);
            wrongSize.delta = Arrays.copyOf(wrongSize.delta, 3);
            h.processElement(wrongSize, 0);
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            assertThat(store.listVersions()).isEmpty();
        }
    }

    @Test
    void aRestoreServesTheVersionOfItsCheckpointEvenIfTheNotificationWasLost() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.open();
            h.processElement(delta(shape, 0.1f, 1, 4), 0);
            snapshot = h.snapshot(1, 0); // completes, but the task fails before the notification
        }
        assertThat(store.latestVersion()).isEmpty();
        dev.streaminglstm.schema.ModelManifest written = store.readVersion(1).manifest();
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.initializeState(snapshot);
            h.open();
            assertThat(store.latestVersion()).hasValue(1);
        }
        assertThat(store.readVersion(1).manifest()).as("published as written, not written again").isEqualTo(written);
    }

    @Test
    void aVersionWhoseCheckpointFailedIsWrittenAgainAfterTheRestore() throws Exception {
        OperatorSubtaskState first;
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            first = publishFirstVersion(h);
            h.processElement(delta(shape, 0.2f, 1, 4), 0);
            h.snapshot(2, 0); // writes version 2; checkpoint 2 never completes
        }
        float[] abandoned = storedParameters(store, 2);
        mergeAtCompletedCheckpoints(config, first, -0.3f, 3); // the replayed input trains differently
        assertThat(store.latestVersion()).isEqualTo(OptionalLong.of(2));
        assertThat(storedParameters(store, 2)).isNotEqualTo(abandoned);
        float[] one = storedParameters(store, 1);
        float[] two = storedParameters(store, 2);
        assertThat(two[0]).isCloseTo(one[0] - 0.3f, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void aJobStartedAfreshAgainstAStoreWithVersionsContinuesFromTheNewest() throws Exception {
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1);
        float[] one = storedParameters(store, 1);
        mergeAtCompletedCheckpoints(config, null, 0.25f, 1); // no state: a new job
        assertThat(store.latestVersion()).hasValue(2);
        assertThat(storedParameters(store, 2)).containsExactly(plus(one, 0.25f));
        assertThat(store.readVersion(2).manifest().getParentVersion()).isEqualTo(1L);
        assertThat(store.readVersion(2).manifest().getTokensTrained()).as("totals since the first version").isEqualTo(8);
        assertThat(store.readVersion(2).manifest().getWindowsTrained()).isEqualTo(2);
        assertThat(store.readVersion(2).manifest().getTrainingPrequentialTokens()).as("continued from version 1's")
                .isEqualTo(8);

        JobConfig otherShape = JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", dir.toUri().toString(),
                "--embed", "4", "--hidden", "16");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(otherShape))) {
                h.open();
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("holds version 2 of another model");
    }

    /**
     * Opens a fresh merger, which trains one delta and publishes it as version 1 at checkpoint 1; returns that
     * checkpoint's state.
     */
    private OperatorSubtaskState publishFirstVersion(OneInputStreamOperatorTestHarness<ParameterDelta, Void> h)
            throws Exception {
        h.open();
        h.processElement(delta(shape, 0.1f, 1, 4), 0);
        OperatorSubtaskState state = h.snapshot(1, 0);
        h.notifyOfCompletedCheckpoint(1);
        return state;
    }

    static float[] plus(float[] values, float added) {
        float[] sum = values.clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += added;
        }
        return sum;
    }

    @Test
    void aRestoreFromACheckpointOlderThanLatestContinuesAfterEveryExistingVersion() throws Exception {
        OperatorSubtaskState savepoint;
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            savepoint = publishFirstVersion(h);
            for (long checkpoint = 2; checkpoint <= 3; checkpoint++) {
                h.processElement(delta(shape, 0.2f, 1, 4), 0);
                h.snapshot(checkpoint, 0);
                h.notifyOfCompletedCheckpoint(checkpoint);
            }
            h.processElement(delta(shape, 0.2f, 1, 4), 0);
            h.snapshot(4, 0); // version 4, whose checkpoint never completes
        }
        assertThat(store.latestVersion()).hasValue(3);
        float[][] before = new float[5][];
        for (int v = 1; v <= 4; v++) {
            before[v] = storedParameters(store, v);
        }

        OperatorSubtaskState rolledBack;
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.initializeState(savepoint); // the rollback: back to version 1
            h.open();
            h.processElement(delta(shape, -0.5f, 2, 8), 0);
            rolledBack = h.snapshot(5, 0);
            assertThat(store.latestVersion()).as("not before the checkpoint completes").hasValue(3);
            h.notifyOfCompletedCheckpoint(5);
        }
        assertThat(store.latestVersion()).hasValue(5);
        ModelManifestAssert.parentTokensWindows(store.readVersion(5).manifest(), 1L, 4 + 8, 1 + 2);
        assertThat(storedParameters(store, 5)).isEqualTo(plus(before[1], -0.5f));
        for (int v = 1; v <= 4; v++) {
            assertThat(storedParameters(store, v)).as("version %d untouched", v).isEqualTo(before[v]);
        }

        mergeAtCompletedCheckpoints(config, rolledBack, 0.5f, 6); // an ordinary failover of the rolled-back job
        assertThat(store.latestVersion()).hasValue(6);
        ModelManifestAssert.parentTokensWindows(store.readVersion(6).manifest(), 5L, 16, 4);
        assertThat(store.readVersion(6).manifest().getTrainingPrequentialTokens())
                .as("the training loss restored with the model it describes").isEqualTo(16);
    }

    @Test
    void aJobStartedAfreshContinuesTheCountersAndNumbersAfterEveryExistingVersion() throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.open();
            h.processElement(delta(shape, 0.5f, 3, 12), 0);
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            h.processElement(delta(shape, 0.5f, 1, 4), 0);
            h.snapshot(2, 0); // version 2 is written, but the job is cancelled before checkpoint 2 completes
        }
        float[] one = storedParameters(store, 1);
        float[] abandoned = storedParameters(store, 2);
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) { // no state: a new job
            h.open();
            h.processElement(delta(shape, 0.25f, 2, 8), 0);
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
        }
        assertThat(store.latestVersion()).hasValue(3);
        ModelManifestAssert.parentTokensWindows(store.readVersion(3).manifest(), 1L, 12 + 8, 3 + 2);
        assertThat(storedParameters(store, 3)).isEqualTo(plus(one, 0.25f));
        assertThat(storedParameters(store, 2)).isEqualTo(abandoned);
    }

    @Test
    void aFreshStartSkipsACorruptLatestVersionAndContinuesFromTheNewestGoodOne() throws Exception {
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1, 2);
        float[] one = storedParameters(store, 1);
        java.nio.file.Path parameters2 = dir.resolve("versions/2/parameters.bin");
        byte[] damaged = java.nio.file.Files.readAllBytes(parameters2);
        damaged[damaged.length / 2] ^= 0x01;
        java.nio.file.Files.write(parameters2, damaged);

        assertThat(StreamingLstmJob.models(config).start().parameters().toFlatFloats()).isEqualTo(one);
        mergeAtCompletedCheckpoints(config, null, 0.25f, 1);
        assertThat(store.latestVersion()).hasValue(3);
        ModelManifestAssert.parentTokensWindows(store.readVersion(3).manifest(), 1L, 8, 2);
        assertThat(storedParameters(store, 3)).isEqualTo(plus(one, 0.25f));
    }

    @Test
    void aFreshStartWithAnUnreadableLatestPointerContinuesFromTheNewestGoodVersionAndRepairsIt() throws Exception {
        mergeAtCompletedCheckpoints(config, null, 0.5f, 1, 2);
        float[] two = storedParameters(store, 2);
        java.nio.file.Files.writeString(dir.resolve("LATEST"), "garbage");

        mergeAtCompletedCheckpoints(config, null, 0.25f, 1);
        assertThat(store.latestVersion()).as("LATEST readable again").hasValue(3);
        ModelManifestAssert.parentTokensWindows(store.readVersion(3).manifest(), 2L, 12, 3);
        assertThat(storedParameters(store, 3)).isEqualTo(plus(two, 0.25f));
    }

    @Test
    void storeFailuresAtACheckpointAndAtItsCompletionAreRetried() throws Exception {
        FlakyModelStore flaky = new FlakyModelStore();
        try (var h = new OneInputStreamOperatorTestHarness<>(mergerOn(flaky))) {
            h.open();
            h.processElement(delta(shape, 0.5f, 1, 4), 0);
            flaky.failWrites(2);
            h.snapshot(1, 0);
            flaky.failLatestMoves(2);
            h.notifyOfCompletedCheckpoint(1);
        }
        assertThat(flaky.failed()).as("every injected failure happened").isEqualTo(4);
        assertThat(store.latestVersion()).hasValue(1);
        assertThat(store.readVersion(1).manifest().getCheckpointId()).isEqualTo(1L);
    }

    @Test
    void aLatestMoveThatKeepsFailingIsMadeByTheNextCompletedCheckpoint() throws Exception {
        FlakyModelStore flaky = new FlakyModelStore();
        try (var h = new OneInputStreamOperatorTestHarness<>(mergerOn(flaky))) {
            h.open();
            h.processElement(delta(shape, 0.5f, 1, 4), 0);
            h.snapshot(1, 0);
            flaky.failLatestMoves(1000);
            h.notifyOfCompletedCheckpoint(1); // the store is down for longer than the retries: the job goes on
            assertThat(store.latestVersion()).isEmpty();

            flaky.failLatestMoves(0);
            h.snapshot(2, 0); // nothing new to write
            h.notifyOfCompletedCheckpoint(2);
            assertThat(store.latestVersion()).hasValue(1);
        }
        assertThat(store.listVersions()).hasSize(1);
    }

    @Test
    void aLatestMoveThatKeepsFailingIsMadeByTheNextRestore() throws Exception {
        FlakyModelStore flaky = new FlakyModelStore();
        OperatorSubtaskState second;
        try (var h = new OneInputStreamOperatorTestHarness<>(mergerOn(flaky))) {
            h.open();
            h.processElement(delta(shape, 0.5f, 1, 4), 0);
            h.snapshot(1, 0);
            flaky.failLatestMoves(1000);
            h.notifyOfCompletedCheckpoint(1);
            second = h.snapshot(2, 0); // completes, but the task fails before the notification
        }
        assertThat(store.latestVersion()).isEmpty();
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.initializeState(second);
            h.open();
            assertThat(store.latestVersion()).hasValue(1);
        }
    }

    @Test
    void aRestoreRewritesItsUnpublishedVersionIfAnotherRunReplacedIt() throws Exception {
        OperatorSubtaskState first;
        OperatorSubtaskState second;
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            first = publishFirstVersion(h);
            h.processElement(delta(shape, 0.2f, 1, 4), 0);
            second = h.snapshot(2, 0); // completes, but its notification is lost
        }
        float[] ours = storedParameters(store, 2);
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.initializeState(first); // someone restores the older checkpoint first
            h.open();
            h.processElement(delta(shape, -0.7f, 1, 4), 0);
            h.snapshot(3, 0); // and its version 2 replaces ours, which was never LATEST
        }
        assertThat(storedParameters(store, 2)).isNotEqualTo(ours);
        try (var h = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            h.initializeState(second);
            h.open();
        }
        assertThat(store.latestVersion()).hasValue(2);
        assertThat(storedParameters(store, 2)).isEqualTo(ours);
        assertThat(store.readVersion(2).manifest().getCheckpointId()).isEqualTo(2L);
        ModelManifestAssert.parentTokensWindows(store.readVersion(2).manifest(), 1L, 8, 2);
    }

    @Test
    void stateOfTheFirstLayoutIsRestored() throws Exception {
        float[] values = ParameterSet.initialize(shape, DataType.FLOAT, 99).toFlatFloats();
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeLong(3); // version
            out.writeBoolean(false); // dirty
            out.writeLong(40); // tokens
            out.writeLong(10); // windows
            out.writeLong(1); // skipped steps
            out.writeDouble(Double.NaN); // recent loss
            out.writeInt(0); // versions awaiting their checkpoint
            out.writeInt(values.length);
            for (float f : values) {
                out.writeFloat(f);
            }
        }
        OperatorSubtaskState old;
        try (var h = new OneInputStreamOperatorTestHarness<>(new StateWriter(bytes.toByteArray()))) {
            h.open();
            old = h.snapshot(1, 0);
        }
        mergeAtCompletedCheckpoints(config, old, 0.5f, 2);
        assertThat(store.latestVersion()).hasValue(4);
        ModelManifestAssert.parentTokensWindows(store.readVersion(4).manifest(), 3L, 44, 11);
        assertThat(store.readVersion(4).manifest().getTrainingPrequentialTokens())
                .as("a layout without the training loss: counted from the restore on").isEqualTo(4);
        assertThat(storedParameters(store, 4)).isEqualTo(plus(values, 0.5f));
    }

    /** An operator that leaves the given bytes in the merger's operator state, as an older merger did. */
    static final class StateWriter extends org.apache.flink.streaming.api.operators.AbstractStreamOperator<Void>
            implements org.apache.flink.streaming.api.operators.OneInputStreamOperator<ParameterDelta, Void> {
        private final byte[] bytes;
        private transient org.apache.flink.api.common.state.ListState<byte[]> state;

        StateWriter(byte[] bytes) {
            this.bytes = bytes;
        }

        @Override
        public void initializeState(org.apache.flink.runtime.state.StateInitializationContext context) throws Exception {
            super.initializeState(context);
            state = context.getOperatorStateStore().getListState(new org.apache.flink.api.common.state.ListStateDescriptor<>(
                    "global-model", org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        }

        @Override
        public void snapshotState(org.apache.flink.runtime.state.StateSnapshotContext context) throws Exception {
            super.snapshotState(context);
            state.update(java.util.List.of(bytes));
        }

        @Override
        public void processElement(org.apache.flink.streaming.runtime.streamrecord.StreamRecord<ParameterDelta> element) {}
    }

    /** Lineage and counters of a manifest. */
    static final class ModelManifestAssert {
        static void parentTokensWindows(dev.streaminglstm.schema.ModelManifest m, Long parent, long tokens, long windows) {
            assertThat(m.getParentVersion()).as("parent of version %d", m.getVersion()).isEqualTo(parent);
            assertThat(m.getTokensTrained()).as("tokens of version %d", m.getVersion()).isEqualTo(tokens);
            assertThat(m.getWindowsTrained()).as("windows of version %d", m.getVersion()).isEqualTo(windows);
        }
    }
}
