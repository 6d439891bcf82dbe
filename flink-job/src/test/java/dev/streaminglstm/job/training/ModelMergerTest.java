package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.OptionalLong;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** The merger on Flink's test harness, with a real file store. */
class ModelMergerTest {
    @TempDir
    Path dir;

    JobConfig config(int parallelism) {
        return JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", dir.toUri().toString(),
                "--embed", "4", "--hidden", "8", "--seed", "7", "--parallelism", Integer.toString(parallelism));
    }

    static ParameterDelta delta(ModelConfig shape, float value, long windows, long tokens) {
        ParameterDelta d = new ParameterDelta();
        d.delta = new float[(int) ParameterSet.zeros(shape, DataType.FLOAT).size()];
        Arrays.fill(d.delta, value);
        d.windows = windows;
        d.tokens = tokens;
        d.lossNats = tokens * 2.0;
        return d;
    }

    float[] storedParameters(ModelStore store, long version) throws Exception {
        StoredModel m = store.readVersion(version);
        return ModelFile.read(new ByteArrayInputStream(m.parameters())).parameters().toFlatFloats();
    }

    @Test
    void aVersionIsWrittenAtTheCheckpointAndServedOnlyOnceItCompletes() throws Exception {
        JobConfig config = config(1);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        float[] initial = ParameterSet.initialize(shape, DataType.FLOAT, 7).toFlatFloats();
        ModelStore store = ModelStores.open(config.store());
        // Flink ships operators serialized: test the copy it would run.
        ModelMerger shipped = InstantiationUtil.clone(new ModelMerger(config));
        try (var h = new OneInputStreamOperatorTestHarness<>(shipped)) {
            h.open();
            h.processElement(delta(shape, 0.25f, 3, 12), 0);
            h.snapshot(1, 0);
            assertThat(store.listVersions()).singleElement().satisfies(m -> {
                assertThat(m.getVersion()).isEqualTo(1);
                assertThat(m.getWindowsTrained()).isEqualTo(3);
                assertThat(m.getTokensTrained()).isEqualTo(12);
                assertThat(m.getRecentLossBpc()).isCloseTo(2.0 / Math.log(2), org.assertj.core.data.Offset.offset(1e-9));
                assertThat(m.getCheckpointId()).isEqualTo(1L);
            });
            assertThat(store.latestVersion()).as("not before the checkpoint completes").isEmpty();

            h.notifyOfCompletedCheckpoint(1);
            assertThat(store.latestVersion()).hasValue(1);
            float[] expected = initial.clone();
            for (int i = 0; i < expected.length; i++) {
                expected[i] += 0.25f;
            }
            assertThat(storedParameters(store, 1)).isEqualTo(expected);

            h.snapshot(2, 0);
            h.notifyOfCompletedCheckpoint(2);
            assertThat(store.listVersions()).as("nothing new, no new version").hasSize(1);
        }
    }

    @Test
    void deltasOfParallelSubtasksAreAveraged() throws Exception {
        JobConfig config = config(2);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        float[] initial = ParameterSet.initialize(shape, DataType.FLOAT, 7).toFlatFloats();
        ModelStore store = ModelStores.open(config.store());
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
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
        JobConfig config = config(1);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        ModelStore store = ModelStores.open(config.store());
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
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
        JobConfig config = config(1);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        ModelStore store = ModelStores.open(config.store());
        OperatorSubtaskState snapshot;
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            h.open();
            h.processElement(delta(shape, 0.1f, 1, 4), 0);
            snapshot = h.snapshot(1, 0); // completes, but the task fails before the notification
        }
        assertThat(store.latestVersion()).isEmpty();
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            h.initializeState(snapshot);
            h.open();
            assertThat(store.latestVersion()).hasValue(1);
        }
    }

    @Test
    void aVersionWhoseCheckpointFailedIsWrittenAgainAfterTheRestore() throws Exception {
        JobConfig config = config(1);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        ModelStore store = ModelStores.open(config.store());
        OperatorSubtaskState first;
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            h.open();
            h.processElement(delta(shape, 0.1f, 1, 4), 0);
            first = h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
            h.processElement(delta(shape, 0.2f, 1, 4), 0);
            h.snapshot(2, 0); // writes version 2; checkpoint 2 never completes
        }
        float[] abandoned = storedParameters(store, 2);
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            h.initializeState(first);
            h.open();
            h.processElement(delta(shape, -0.3f, 1, 4), 0); // the replayed input trains differently
            h.snapshot(3, 0);
            h.notifyOfCompletedCheckpoint(3);
        }
        assertThat(store.latestVersion()).isEqualTo(OptionalLong.of(2));
        assertThat(storedParameters(store, 2)).isNotEqualTo(abandoned);
        float[] one = storedParameters(store, 1);
        float[] two = storedParameters(store, 2);
        assertThat(two[0]).isCloseTo(one[0] - 0.3f, org.assertj.core.data.Offset.offset(1e-6f));
    }

    @Test
    void aJobStartedAfreshAgainstAStoreWithVersionsContinuesFromTheNewest() throws Exception {
        JobConfig config = config(1);
        ModelConfig shape = TrainingSetup.modelConfig(config);
        ModelStore store = ModelStores.open(config.store());
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            h.open();
            h.processElement(delta(shape, 0.5f, 1, 4), 0);
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
        }
        float[] one = storedParameters(store, 1);
        try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) { // no state: a new job
            h.open();
            h.processElement(delta(shape, 0.25f, 1, 4), 0);
            h.snapshot(1, 0);
            h.notifyOfCompletedCheckpoint(1);
        }
        assertThat(store.latestVersion()).hasValue(2);
        float[] two = storedParameters(store, 2);
        for (int i = 0; i < two.length; i++) {
            assertThat(two[i]).isEqualTo(one[i] + 0.25f);
        }
        assertThat(store.readVersion(2).manifest().getParentVersion()).isEqualTo(1L);

        JobConfig otherShape = JobConfig.parse("--bootstrap-servers", "localhost:1", "--store", dir.toUri().toString(),
                "--embed", "4", "--hidden", "16");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> {
            try (var h = new OneInputStreamOperatorTestHarness<>(new ModelMerger(otherShape))) {
                h.open();
            }
        }).isInstanceOf(IllegalStateException.class).hasMessageContaining("holds version 2 of another model");
    }
}
