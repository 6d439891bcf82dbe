package dev.streaminglstm.job.training;

import static dev.streaminglstm.job.training.TrainingOperatorTest.MAX_PARALLELISM;
import static dev.streaminglstm.job.training.TrainingOperatorTest.harness;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.StateSettings.StateBackend;
import dev.streaminglstm.job.merging.MergerRuns;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.store.ModelStores;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Rescaling the training operator from a snapshot, on Flink's harnesses with the real merger and
 * file store between them: whatever the old and new parallelism, every window trained reaches the
 * global model exactly once (its delta and its counters), and the new replicas start from the
 * parameters the global model reaches.
 */
class TrainingOperatorRescaleTest {
    static final int STREAMS = 8;
    static final int CHUNKS = 24;
    /** T of {@link TrainingOperatorTest#config}. */
    static final int WINDOW = 4;

    @TempDir
    Path store;

    JobConfig config(int parallelism) {
        // a delta every 4 batches or so: some progress is unsent at the snapshot
        return TrainingOperatorTest.config(store, "--batch", "2", "--publish-every-windows", "7",
                "--parallelism", Integer.toString(parallelism));
    }

    @ParameterizedTest
    @EnumSource(StateBackend.class)
    void scalingUpSendsTheUnsentDeltaOnceAndCountsEveryWindowOnce(StateBackend backend) throws Exception {
        List<TextEvent> events = TrainingOperatorTest.randomEvents(new Random(5), STREAMS, CHUNKS);
        int cut = events.size() / 2;
        Ledger ledger = new Ledger();

        // Parallelism 1 up to checkpoint 1.
        OperatorSubtaskState trainingSnapshot;
        OperatorSubtaskState mergerSnapshot;
        long unsentWindows;
        try (var merger = merger(config(1)); var h = harness(StreamingLstmJob.trainer(config(1), false), backend, 1, 0)) {
            merger.open();
            h.open();
            for (TextEvent e : events.subList(0, cut)) {
                h.processElement(e, 0);
            }
            // the checkpoint comes where some progress is not sent yet
            TrainingOperator op = (TrainingOperator) h.getOperator();
            while (op.metrics().windowsTrained.getCount()
                    == h.extractOutputValues().stream().mapToLong(d -> d.windows).sum()) {
                h.processElement(events.get(cut++), 0);
            }
            ledger.trained(h);
            unsentWindows = ledger.windowsTrained - ledger.forward(h, merger);
            assertThat(unsentWindows).as("progress not yet sent at the checkpoint").isPositive();
            trainingSnapshot = h.snapshot(1, 0);
            mergerSnapshot = merger.snapshot(1, 0);
            merger.notifyOfCompletedCheckpoint(1);
        }

        // Parallelism 2 from checkpoint 1.
        List<TrainingOperator> ops = List.of(StreamingLstmJob.trainer(config(2), false),
                StreamingLstmJob.trainer(config(2), false));
        List<KeyedOneInputStreamOperatorTestHarness<String, TextEvent, ParameterDelta>> harnesses = new ArrayList<>();
        try (var merger = merger(config(2))) {
            merger.initializeState(mergerSnapshot);
            merger.open();
            for (int i = 0; i < 2; i++) {
                var h = harness(ops.get(i), backend, 2, i);
                harnesses.add(h);
                h.setRestoredCheckpointId(1);
                h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(
                        trainingSnapshot, MAX_PARALLELISM, 1, 2, i));
                h.open();
            }
            List<ParameterDelta> onOpen0 = harnesses.get(0).extractOutputValues();
            assertThat(onOpen0).as("subtask 0 sends the old unsent delta").singleElement()
                    .satisfies(d -> assertThat(d.windows).isEqualTo(unsentWindows));
            assertThat(harnesses.get(1).extractOutputValues()).as("subtask 1 sends nothing of it").isEmpty();
            assertThat(ops.get(1).replica().parameters().toFlatFloats()).as("one start for every replica")
                    .isEqualTo(ops.get(0).replica().parameters().toFlatFloats());
            assertThat(ops.get(1).replica().optimizerState()).isEqualTo(ops.get(0).replica().optimizerState());

            // The merger, given the old delta, holds exactly the replicas' start.
            ledger.forward(harnesses.get(0), merger);
            merger.snapshot(2, 0);
            merger.notifyOfCompletedCheckpoint(2);
            assertThat(published(config(2), 2)).isEqualTo(ops.get(0).replica().parameters().toFlatFloats());

            int[] perSubtask = new int[2];
            for (TextEvent e : events.subList(cut, events.size())) {
                int subtask = subtaskOf(e.getStreamId(), 2);
                perSubtask[subtask]++;
                harnesses.get(subtask).processElement(e, 0);
            }
            assertThat(perSubtask).as("streams on both subtasks").doesNotContain(0);
            for (var h : harnesses) {
                h.endInput();
                ledger.trained(h);
                ledger.forward(h, merger);
            }
            merger.snapshot(3, 0);
            merger.notifyOfCompletedCheckpoint(3);
        } finally {
            for (var h : harnesses) {
                h.close();
            }
        }

        ModelManifest last = newest(config(2));
        long[] made = TrainingOperatorTest.windowsAndTokensOf(events, WINDOW);
        assertThat(last.getWindowsTrained()).as("every window the input makes, counted once").isEqualTo(made[0]);
        assertThat(last.getTokensTrained()).isEqualTo(made[1]);
        assertThat(ledger.windowsTrained).as("the subtasks' own counters").isEqualTo(made[0]);
        assertThat(ledger.windowsSent).isEqualTo(made[0]);
    }

    @ParameterizedTest
    @EnumSource(StateBackend.class)
    void scalingDownSendsEveryOldSubtasksUnsentDeltaAndTheReplicaIsTheGlobalModelAgain(StateBackend backend)
            throws Exception {
        List<TextEvent> events = TrainingOperatorTest.randomEvents(new Random(6), STREAMS, CHUNKS);
        int cut = events.size() / 2;
        Ledger ledger = new Ledger();

        // Parallelism 2 up to checkpoint 1.
        OperatorSubtaskState[] trainingSnapshots = new OperatorSubtaskState[2];
        boolean[] trainedBefore = new boolean[events.size()];
        OperatorSubtaskState mergerSnapshot;
        long unsentWindows = 0;
        try (var merger = merger(config(2))) {
            merger.open();
            for (int i = 0; i < 2; i++) {
                try (var h = harness(StreamingLstmJob.trainer(config(2), false), backend, 2, i)) {
                    h.open();
                    TrainingOperator op = (TrainingOperator) h.getOperator();
                    for (int k = 0; k < events.size(); k++) {
                        boolean unsent = op.metrics().windowsTrained.getCount()
                                > h.extractOutputValues().stream().mapToLong(d -> d.windows).sum();
                        if (k >= cut && unsent) {
                            break; // the checkpoint comes where some progress is not sent yet
                        }
                        if (subtaskOf(events.get(k).getStreamId(), 2) == i) {
                            h.processElement(events.get(k), 0);
                            trainedBefore[k] = true;
                        }
                    }
                    long trained = ledger.trained(h);
                    long unsent = trained - ledger.forward(h, merger);
                    assertThat(unsent).as("subtask %d: progress not yet sent at the checkpoint", i).isPositive();
                    unsentWindows += unsent;
                    trainingSnapshots[i] = h.snapshot(1, 0);
                }
            }
            mergerSnapshot = merger.snapshot(1, 0);
            merger.notifyOfCompletedCheckpoint(1);
        }

        // Parallelism 1 from checkpoint 1.
        TrainingOperator op = StreamingLstmJob.trainer(config(1), false);
        try (var merger = merger(config(1)); var h = harness(op, backend, 1, 0)) {
            merger.initializeState(mergerSnapshot);
            merger.open();
            h.setRestoredCheckpointId(1);
            h.initializeState(AbstractStreamOperatorTestHarness.repartitionOperatorState(
                    AbstractStreamOperatorTestHarness.repackageState(trainingSnapshots), MAX_PARALLELISM, 2, 1, 0));
            h.open();
            long sentOnOpen = ledger.forward(h, merger);
            assertThat(sentOnOpen).as("both old subtasks' unsent windows, sent once").isEqualTo(unsentWindows);
            merger.snapshot(2, 0);
            merger.notifyOfCompletedCheckpoint(2);
            assertThat(published(config(1), 2)).as("the replica starts as the global model")
                    .isEqualTo(op.replica().parameters().toFlatFloats());

            for (int k = 0; k < events.size(); k++) {
                if (!trainedBefore[k]) {
                    h.processElement(events.get(k), 0);
                }
            }
            h.endInput();
            ledger.trained(h);
            ledger.forward(h, merger);
            merger.snapshot(3, 0);
            merger.notifyOfCompletedCheckpoint(3);

            float[] global = published(config(1), newest(config(1)).getVersion());
            float[] replica = op.replica().parameters().toFlatFloats();
            for (int i = 0; i < global.length; i++) {
                assertThat(global[i]).as("parameter %d: at parallelism 1 the replica is the global model", i)
                        .isCloseTo(replica[i], within(1e-5f));
            }
        }

        ModelManifest last = newest(config(1));
        long[] made = TrainingOperatorTest.windowsAndTokensOf(events, WINDOW);
        assertThat(last.getWindowsTrained()).as("no window the input makes lost, none counted twice")
                .isEqualTo(made[0]);
        assertThat(last.getTokensTrained()).isEqualTo(made[1]);
        assertThat(ledger.windowsTrained).as("the subtasks' own counters").isEqualTo(made[0]);
        assertThat(ledger.windowsSent).isEqualTo(made[0]);
    }

    static int subtaskOf(String streamId, int parallelism) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(streamId, MAX_PARALLELISM, parallelism);
    }

    static OneInputStreamOperatorTestHarness<ParameterDelta, Void> merger(JobConfig config) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config));
    }

    float[] published(JobConfig config, long version) throws Exception {
        return MergerRuns.storedParameters(ModelStores.open(config.store().uri()), version);
    }

    ModelManifest newest(JobConfig config) throws Exception {
        List<ModelManifest> versions = ModelStores.open(config.store().uri()).listVersions();
        return versions.get(versions.size() - 1);
    }

    /** What the training subtasks trained (by their own counters) and what they sent the merger. */
    static final class Ledger {
        long windowsTrained;
        long tokensTrained;
        long windowsSent;

        /** Adds what a subtask trained in its life (call once, at its end); returns its windows. */
        long trained(KeyedOneInputStreamOperatorTestHarness<String, TextEvent, ParameterDelta> h) {
            TrainingMetrics m = ((TrainingOperator) h.getOperator()).metrics();
            windowsTrained += m.windowsTrained.getCount();
            tokensTrained += m.tokensTrained.getCount();
            return m.windowsTrained.getCount();
        }

        /** Hands the deltas the subtask emitted since the last call to the merger; returns their windows. */
        long forward(KeyedOneInputStreamOperatorTestHarness<String, TextEvent, ParameterDelta> h,
                OneInputStreamOperatorTestHarness<ParameterDelta, Void> merger) throws Exception {
            long windows = 0;
            for (ParameterDelta d : h.extractOutputValues()) {
                merger.processElement(d, 0);
                windows += d.windows;
            }
            h.getOutput().clear();
            windowsSent += windows;
            return windows;
        }
    }
}
