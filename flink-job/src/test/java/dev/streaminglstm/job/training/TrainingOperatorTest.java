package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.schema.TextEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training operator on Flink's keyed test harness: windows, batches, duplicates, documents, expiry, state. */
class TrainingOperatorTest {
    @TempDir
    Path store;

    /** A small deterministic configuration; {@code overrides} are flag/value pairs replacing the defaults. */
    JobConfig config(String... overrides) {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put("--bootstrap-servers", "localhost:1");
        flags.put("--store", store.toUri().toString());
        flags.put("--window", "4");
        flags.put("--batch", "2");
        flags.put("--flush-ms", "0");
        flags.put("--publish-every-windows", "2");
        flags.put("--embed", "4");
        flags.put("--hidden", "8");
        flags.put("--seed", "7");
        for (int i = 0; i < overrides.length; i += 2) {
            flags.put(overrides[i], overrides[i + 1]);
        }
        List<String> args = new ArrayList<>();
        flags.forEach((k, v) -> {
            args.add(k);
            args.add(v);
        });
        return JobConfig.parse(args.toArray(String[]::new));
    }

    static KeyedOneInputStreamOperatorTestHarness<String, TextEvent, ParameterDelta> harness(TrainingOperator op)
            throws Exception {
        return new KeyedOneInputStreamOperatorTestHarness<>(op, TextEvent::getStreamId, Types.STRING);
    }

    static TextEvent event(String stream, long seq, String text, boolean start) {
        return TextEvent.newBuilder().setStreamId(stream).setSequenceNumber(seq).setText(text)
                .setEventTime(Instant.ofEpochMilli(1000 + seq)).setStartsDocument(start).setFeatures(null).build();
    }

    @Test
    void readyWindowsOfDifferentStreamsAreTrainedAsOneBatch() throws Exception {
        TrainingOperator op = new TrainingOperator(config(), false);
        try (var h = harness(op)) {
            h.open();
            h.processElement(event("a", 0, "abcd", true), 0); // <start> a b c d: one window of T + 1 = 5
            assertThat(op.metrics().batches.getCount()).isZero();
            assertThat(op.streamState("a").inFlight).isTrue();
            h.processElement(event("b", 0, "efgh", true), 0);

            assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(2);
            assertThat(op.metrics().tokensTrained.getCount()).isEqualTo(8);
            List<ParameterDelta> deltas = h.extractOutputValues();
            assertThat(deltas).hasSize(1);
            assertThat(deltas.get(0).windows).isEqualTo(2);
            assertThat(deltas.get(0).tokens).isEqualTo(8);
            assertThat(maxAbs(deltas.get(0).delta)).isPositive();
            StreamTrainingState a = op.streamState("a");
            assertThat(a.inFlight).isFalse();
            assertThat(a.carried).hasSize(2 * 8); // h and c of one layer
            assertThat(a.pending).containsExactly('d'); // the last token opens the next window
        }
    }

    @Test
    void aStreamsSecondWindowWaitsForTheStateItsFirstProduces() throws Exception {
        TrainingOperator op = new TrainingOperator(config("--batch", "8"), false);
        try (var h = harness(op)) {
            h.open();
            // 11 tokens: <start> a b c d | d e f g h, the second window overlapping the first by one token
            h.processElement(event("a", 0, "abcdefghij", true), 0);
            assertThat(op.metrics().batches.getCount()).as("the first window trained alone").isEqualTo(1);
            StreamTrainingState a = op.streamState("a");
            assertThat(a.inFlight).as("the second window waits in the next batch").isTrue();
            assertThat(a.pending).containsExactly('d', 'e', 'f', 'g', 'h', 'i', 'j');
            h.processElement(event("b", 0, "abcd", true), 0);
            h.processElement(event("c", 0, "abcd", true), 0);
            assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            h.processElement(event("d", 0, "abcd", true), 0);
            h.processElement(event("e", 0, "abcd", true), 0);
            h.processElement(event("f", 0, "abcd", true), 0);
            h.processElement(event("g", 0, "abcd", true), 0);
            h.processElement(event("i", 0, "abcd", true), 0); // the eighth window fills the batch
            assertThat(op.metrics().batches.getCount()).isEqualTo(2);
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(9);
            assertThat(op.streamState("a").pending).containsExactly('h', 'i', 'j');
        }
    }

    @Test
    void duplicatesAndReplaysAreDroppedAndCounted() throws Exception {
        TrainingOperator op = new TrainingOperator(config("--window", "64"), false);
        try (var h = harness(op)) {
            h.open();
            h.processElement(event("a", 5, "one", true), 0);
            h.processElement(event("a", 5, "one", true), 0);
            h.processElement(event("a", 3, "old", false), 0);
            h.processElement(event("a", 6, "two", false), 0);
            assertThat(op.metrics().duplicates.getCount()).isEqualTo(2);
            assertThat(op.streamState("a").pending)
                    .containsExactly(ByteVocabulary.START, 'o', 'n', 'e', 't', 'w', 'o');
            assertThat(op.streamState("a").lastSequence).isEqualTo(6);
        }
    }

    @Test
    void aDocumentStartClosesThePreviousDocumentAndResetsTheState() throws Exception {
        TrainingOperator op = new TrainingOperator(config("--window", "64"), false);
        try (var h = harness(op)) {
            h.open();
            h.processElement(event("a", 0, "ab", true), 0);
            h.processElement(event("a", 1, "cd", true), 0);
            assertThat(op.streamState("a").pending).containsExactly(
                    ByteVocabulary.START, 'a', 'b', ByteVocabulary.END, ByteVocabulary.START, 'c', 'd');
        }
    }

    @Test
    void idleStreamsExpire() throws Exception {
        TrainingOperator op = new TrainingOperator(config("--window", "64", "--stream-idle-timeout", "1min"), false);
        try (var h = harness(op)) {
            h.setStateTtlProcessingTime(0);
            h.open();
            h.processElement(event("a", 5, "old text", true), 0);
            h.setStateTtlProcessingTime(59_000);
            assertThat(op.streamState("a")).isNotNull();
            h.setStateTtlProcessingTime(59_000 + 61_000);
            assertThat(op.streamState("a")).as("expired after a minute idle").isNull();
            h.processElement(event("a", 1, "new", true), 0);
            assertThat(op.metrics().duplicates.getCount()).as("a fresh stream, not a replay").isZero();
            assertThat(op.streamState("a").pending).containsExactly(ByteVocabulary.START, 'n', 'e', 'w');
        }
    }

    @Test
    void aPartlyFilledBatchIsTrainedBeforeTheCheckpointBarrier() throws Exception {
        TrainingOperator op = new TrainingOperator(config("--batch", "8"), true);
        try (var h = harness(op)) {
            h.open();
            h.processElement(event("a", 0, "abcd", true), 0);
            assertThat(op.metrics().batches.getCount()).isZero();
            h.prepareSnapshotPreBarrier(1); // what the task does before it emits the barrier
            h.snapshot(1, 0);
            assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            assertThat(op.streamState("a").inFlight).isFalse();
        }
    }

    @Test
    void theEndOfInputTrainsWhatIsLeftAndEmitsTheLastDelta() throws Exception {
        TrainingOperator op = new TrainingOperator(config("--batch", "8", "--publish-every-windows", "100"), false);
        try (var h = harness(op)) {
            h.open();
            h.processElement(event("a", 0, "abcd", true), 0);
            h.endInput();
            assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            assertThat(h.extractOutputValues()).singleElement().satisfies(d -> assertThat(d.windows).isEqualTo(1));
        }
    }

    @Test
    void aFreshStartContinuesFromTheStoresNewestVersion() throws Exception {
        JobConfig config = config();
        dev.streaminglstm.core.model.ParameterSet published = dev.streaminglstm.core.model.ParameterSet.initialize(
                TrainingSetup.modelConfig(config), org.nd4j.linalg.api.buffer.DataType.FLOAT, 99);
        try (var merger = new org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness<>(new ModelMerger(config))) {
            merger.open();
            ParameterDelta d = new ParameterDelta();
            float[] initial = dev.streaminglstm.core.model.ParameterSet.initialize(
                    TrainingSetup.modelConfig(config), org.nd4j.linalg.api.buffer.DataType.FLOAT, 7).toFlatFloats();
            d.delta = published.toFlatFloats();
            for (int i = 0; i < d.delta.length; i++) {
                d.delta[i] -= initial[i];
            }
            merger.processElement(d, 0);
            merger.snapshot(1, 0);
            merger.notifyOfCompletedCheckpoint(1);
        }
        float[] stored = dev.streaminglstm.job.training.TrainingSetup.start(config).parameters().toFlatFloats();
        TrainingOperator op = new TrainingOperator(config, false);
        try (var h = harness(op)) {
            h.open();
            assertThat(op.replica().toFlatFloats()).isEqualTo(stored);
        }
    }

    @Test
    void stateSurvivesSnapshotAndRestoreBitForBit() throws Exception {
        JobConfig config = config("--batch", "3", "--publish-every-windows", "4");
        List<TextEvent> events = randomEvents(new Random(3), 5, 12);
        int cut = events.size() / 2;

        TrainingOperator whole = new TrainingOperator(config, false);
        List<ParameterDelta> expected;
        float[] expectedReplica;
        try (var h = harness(whole)) {
            h.open();
            for (TextEvent e : events) {
                h.processElement(e, 0);
            }
            h.endInput();
            expected = h.extractOutputValues();
            expectedReplica = whole.replica().toFlatFloats();
        }

        List<ParameterDelta> actual = new ArrayList<>();
        OperatorSubtaskState snapshot;
        TrainingOperator first = new TrainingOperator(config, false);
        try (var h = harness(first)) {
            h.open();
            for (TextEvent e : events.subList(0, cut)) {
                h.processElement(e, 0);
            }
            assertThat(first.metrics().windowsTrained.getCount() % 3)
                    .as("the snapshot holds a partly filled batch").isNotZero();
            snapshot = h.snapshot(1, 0);
            actual.addAll(h.extractOutputValues());
        }
        TrainingOperator second = new TrainingOperator(config, false);
        try (var h = harness(second)) {
            h.initializeState(snapshot);
            h.open();
            for (TextEvent e : events.subList(cut, events.size())) {
                h.processElement(e, 0);
            }
            h.endInput();
            actual.addAll(h.extractOutputValues());
            assertThat(second.replica().toFlatFloats()).isEqualTo(expectedReplica);
        }
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).windows).isEqualTo(expected.get(i).windows);
            assertThat(actual.get(i).tokens).isEqualTo(expected.get(i).tokens);
            assertThat(actual.get(i).delta).isEqualTo(expected.get(i).delta);
        }
    }

    static List<TextEvent> randomEvents(Random random, int streams, int chunksPerStream) {
        List<TextEvent> events = new ArrayList<>();
        String[] words = {"der ", "la ", "the ", "é ", "ünd ", "und ", "παρά ", "of ", "y "};
        for (int c = 0; c < chunksPerStream; c++) {
            for (int s = 0; s < streams; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = random.nextInt(3); w >= 0; w--) {
                    text.append(words[random.nextInt(words.length)]);
                }
                events.add(event("s" + s, c, text.toString(), c == 0 || random.nextInt(10) == 0));
            }
        }
        return events;
    }

    static float maxAbs(float[] values) {
        float m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
