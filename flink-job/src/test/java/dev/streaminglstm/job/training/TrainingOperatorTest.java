package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.StateSettings.StateBackend;
import dev.streaminglstm.job.tokens.StreamTokens;
import dev.streaminglstm.schema.TextEvent;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.hashmap.HashMapStateBackend;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;

/** The training operator on Flink's keyed test harness: windows, batches, duplicates, documents, expiry, state. */
class TrainingOperatorTest {
    static final int MAX_PARALLELISM = 128;

    @TempDir
    Path store;

    /** A small deterministic configuration; {@code overrides} are flag/value pairs replacing the defaults. */
    JobConfig config(String... overrides) {
        return config(store, overrides);
    }

    /** {@link #config(String...)} on the store at {@code store}. */
    static JobConfig config(Path store, String... overrides) {
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

    /** A harness on the given state backend, as subtask {@code subtask} of {@code parallelism} (max parallelism 128). */
    static KeyedOneInputStreamOperatorTestHarness<String, TextEvent, ParameterDelta> harness(TrainingOperator op,
            StateBackend backend, int parallelism, int subtask) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(op, TextEvent::getStreamId, Types.STRING,
                MAX_PARALLELISM, parallelism, subtask);
        h.setStateBackend(switch (backend) {
            case HASHMAP -> new HashMapStateBackend();
            case ROCKSDB -> new EmbeddedRocksDBStateBackend();
        });
        return h;
    }

    static TextEvent event(String stream, long seq, String text, boolean start) {
        return TextEvent.newBuilder().setStreamId(stream).setSequenceNumber(seq).setText(text)
                .setEventTime(Instant.ofEpochMilli(1000 + seq)).setStartsDocument(start).setFeatures(null).build();
    }

    @Test
    void readyWindowsOfDifferentStreamsAreTrainedAsOneBatch() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config(), false);
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
        TrainingOperator op = StreamingLstmJob.trainer(config("--batch", "8"), false);
        try (var h = harness(op)) {
            h.open();
            // 11 tokens: <start> a b c d | d e f g h, the second window overlapping the first by one token
            h.processElement(event("a", 0, "abcdefghij", true), 0);
            assertThat(op.metrics().batches.getCount()).as("a second ready window trains nothing early").isZero();
            StreamTrainingState a = op.streamState("a");
            assertThat(a.inFlight).as("the first window is in the batch").isTrue();
            assertThat(a.pending).containsExactly(ByteVocabulary.START, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j');
            for (String other : List.of("b", "c", "d", "e", "f", "g")) { // other text: other states
                h.processElement(event(other, 0, "wxyz", true), 0);
            }
            assertThat(op.metrics().batches.getCount()).isZero();
            h.processElement(event("i", 0, "wxyz", true), 0); // the eighth window fills the batch
            assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(8);
            a = op.streamState("a");
            assertThat(a.inFlight).as("the second window joined the next batch").isTrue();
            ModelConfig model = op.replica().parameters().config();
            RecurrentState produced = new LanguageModel(model).evaluate(
                    ParameterSet.initialize(model, DataType.FLOAT, 7), RecurrentState.zeros(model, 1, DataType.FLOAT),
                    WindowBatch.of(ByteVocabulary.START, new int[] {ByteVocabulary.START, 'a', 'b', 'c', 'd'}))
                    .nextState();
            float[] expected = produced.row(0);
            assertThat(a.carried).as("with the state the first produced").hasSameSizeAs(expected);
            for (int i = 0; i < expected.length; i++) {
                assertThat(a.carried[i]).as("carried value %d", i).isCloseTo(expected[i], within(1e-5f));
            }
            assertThat(a.pending).containsExactly('d', 'e', 'f', 'g', 'h', 'i', 'j');
            h.endInput();
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(9);
            assertThat(op.streamState("a").pending).containsExactly('h', 'i', 'j');
        }
    }

    @ParameterizedTest
    @EnumSource(StateBackend.class)
    void longChunksOfTwoStreamsAreTrainedInFullBatchesAsIfSentWindowByWindow(StateBackend backend) throws Exception {
        JobConfig config = config("--batch", "2", "--publish-every-windows", "2");
        String a = "the quick brown fox jump"; // 24 bytes: with <start>, 6 windows of T = 4
        String b = "über alles, sagte er da"; // 24 bytes as UTF-8
        assertThat(b.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(24);

        // One chunk per stream, each of six windows.
        TrainingOperator whole = StreamingLstmJob.trainer(config, false);
        Run chunks;
        try (var h = harness(whole, backend, 1, 0)) {
            h.open();
            h.processElement(event("a", 0, a, true), 0);
            h.processElement(event("b", 0, b, true), 0);
            assertThat(whole.batchSize()).as("every window trained as soon as its batch was full").isZero();
            h.endInput();
            chunks = Run.of(whole, h.extractOutputValues());
        }
        // The same tokens, one window per chunk, alternating between the streams.
        TrainingOperator windowed = StreamingLstmJob.trainer(config, false);
        Run windows;
        try (var h = harness(windowed, backend, 1, 0)) {
            h.open();
            byte[] bytesB = b.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            for (int w = 0; w < 6; w++) {
                h.processElement(event("a", w, a.substring(4 * w, 4 * w + 4), w == 0), 0);
                h.processElement(event("b", w, new String(bytesB, 4 * w, 4, java.nio.charset.StandardCharsets.UTF_8),
                        w == 0), 0);
            }
            h.endInput();
            windows = Run.of(windowed, h.extractOutputValues());
        }

        assertThat(chunks.batches()).as("batches of two streams' windows").isEqualTo(6);
        assertThat(chunks.smallestBatch()).isEqualTo(2);
        assertThat(chunks.windows()).isEqualTo(12);
        assertThat(windows.batches()).isEqualTo(6);
        assertThat(chunks.replica()).as("the same training, bit for bit").isEqualTo(windows.replica());
        for (String stream : List.of("a", "b")) {
            assertThat(chunks.carried().get(stream)).as("state of %s", stream).isEqualTo(windows.carried().get(stream));
            assertThat(chunks.pending().get(stream)).isEqualTo(windows.pending().get(stream)).hasSize(1);
        }
        assertThat(chunks.deltas()).hasSameSizeAs(windows.deltas());
        for (int i = 0; i < chunks.deltas().size(); i++) {
            assertThat(chunks.deltas().get(i).windows).isEqualTo(windows.deltas().get(i).windows);
            assertThat(chunks.deltas().get(i).delta).isEqualTo(windows.deltas().get(i).delta);
        }
    }

    @Test
    void aBackloggedStreamSharesEveryBatchWithOtherStreamsWindows() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--batch", "2"), false);
        try (var h = harness(op)) {
            h.open();
            h.processElement(event("a", 0, "the quick brown fox jump", true), 0); // six windows
            assertThat(op.metrics().batches.getCount()).isZero();
            for (String other : List.of("b", "c", "d", "e", "f")) {
                h.processElement(event(other, 0, "abcd", true), 0); // one window each
            }
            assertThat(op.metrics().batches.getCount()).isEqualTo(5);
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(10);
            assertThat(op.metrics().batchSize.getStatistics().getMin()).as("no batch of a alone").isEqualTo(2);
            assertThat(op.streamState("a").inFlight).as("a's sixth window waits for a partner").isTrue();
            assertThat(op.batchSize()).isEqualTo(1);
            h.endInput();
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(11);
            assertThat(op.streamState("a").inFlight).isFalse();
        }
    }

    @Test
    void afterATimerFlushABackloggedStreamsNextWindowIsTrainedWithoutWaitingAnotherInterval() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--batch", "8", "--flush-ms", "200"), false);
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            h.processElement(event("a", 0, "abcdefghijkl", true), 0); // three windows
            h.setProcessingTime(199);
            assertThat(op.metrics().batches.getCount()).isZero();
            h.setProcessingTime(200);
            assertThat(op.metrics().batches.getCount()).isEqualTo(1);
            h.setProcessingTime(200 + WindowBatcher.BACKLOG_FLUSH_MS);
            assertThat(op.metrics().batches.getCount()).isEqualTo(2);
            h.setProcessingTime(200 + 2 * WindowBatcher.BACKLOG_FLUSH_MS);
            assertThat(op.metrics().batches.getCount()).isEqualTo(3);
            assertThat(op.batchSize()).isZero();
            h.setProcessingTime(399);
            assertThat(op.metrics().batches.getCount()).as("an empty batch waits a whole interval again").isEqualTo(3);
        }
    }

    /** What a harness run left: counters, replica, each stream's state, and the deltas it emitted. */
    record Run(long batches, long smallestBatch, long windows, float[] replica, Map<String, float[]> carried,
            Map<String, int[]> pending, List<ParameterDelta> deltas) {
        static Run of(TrainingOperator op, List<ParameterDelta> deltas) throws Exception {
            Map<String, float[]> carried = new LinkedHashMap<>();
            Map<String, int[]> pending = new LinkedHashMap<>();
            for (String stream : List.of("a", "b")) {
                carried.put(stream, op.streamState(stream).carried);
                pending.put(stream, op.streamState(stream).pendingTokens());
            }
            return new Run(op.metrics().batches.getCount(), op.metrics().batchSize.getStatistics().getMin(),
                    op.metrics().windowsTrained.getCount(), op.replica().parameters().toFlatFloats(), carried, pending, deltas);
        }
    }

    @Test
    void duplicatesAndReplaysAreDroppedAndCounted() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--window", "64"), false);
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
        TrainingOperator op = StreamingLstmJob.trainer(config("--window", "64"), false);
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
        TrainingOperator op = StreamingLstmJob.trainer(config("--window", "64", "--stream-idle-timeout", "1min"), false);
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
        TrainingOperator op = StreamingLstmJob.trainer(config("--batch", "8"), true);
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

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void byDefaultTheDeltaGoesOutBeforeEachBarrierWithEveryWindowTrainedSoFar(boolean flushOnCheckpoint)
            throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--publish-every-windows", "0"), flushOnCheckpoint);
        try (var h = harness(op)) {
            h.open();
            for (String stream : List.of("a", "b", "c", "d", "e")) { // two full batches of two, one window waits
                h.processElement(event(stream, 0, "abcd", true), 0);
            }
            assertThat(op.metrics().windowsTrained.getCount()).isEqualTo(4);
            assertThat(h.extractOutputValues()).as("no delta between barriers").isEmpty();

            h.prepareSnapshotPreBarrier(1);
            h.snapshot(1, 0);
            long trained = flushOnCheckpoint ? 5 : 4;
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(d -> assertThat(d.windows).as("every window trained before it").isEqualTo(trained));

            h.prepareSnapshotPreBarrier(2);
            assertThat(h.extractOutputValues()).as("nothing trained since: no second delta").hasSize(1);
        }
    }

    @Test
    void withDraftsTheDeltaAlsoGoesOutEveryDraftIntervalWhenSomethingWasTrained() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--publish-every-windows", "0", "--draft-interval-ms", "100"),
                false);
        try (var h = harness(op)) {
            h.setProcessingTime(0);
            h.open();
            h.processElement(event("a", 0, "abcd", true), 0);
            h.processElement(event("b", 0, "efgh", true), 0); // one batch of two windows
            h.setProcessingTime(99);
            assertThat(h.extractOutputValues()).isEmpty();

            h.setProcessingTime(100);
            assertThat(h.extractOutputValues()).singleElement()
                    .satisfies(d -> assertThat(d.windows).isEqualTo(2));
            h.setProcessingTime(200);
            assertThat(h.extractOutputValues()).as("nothing trained since: no second delta").hasSize(1);
            h.processElement(event("a", 1, "ijkl", false), 0);
            h.processElement(event("b", 1, "mnop", false), 0);
            h.setProcessingTime(300);
            assertThat(h.extractOutputValues()).hasSize(2);
        }
    }

    @Test
    void withACountTheDeltaGoesOutEveryNWindowsAndNotBeforeABarrier() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--publish-every-windows", "4"), true);
        try (var h = harness(op)) {
            h.open();
            for (String stream : List.of("a", "b", "c", "d", "e", "f")) { // three full batches of two
                h.processElement(event(stream, 0, "abcd", true), 0);
            }
            assertThat(h.extractOutputValues()).singleElement().satisfies(d -> assertThat(d.windows).isEqualTo(4));
            h.prepareSnapshotPreBarrier(1);
            assertThat(h.extractOutputValues()).as("the last two windows wait for the count").hasSize(1);
        }
    }

    @Test
    void theEndOfInputTrainsWhatIsLeftAndEmitsTheLastDelta() throws Exception {
        TrainingOperator op = StreamingLstmJob.trainer(config("--batch", "8", "--publish-every-windows", "100"), false);
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
        ParameterSet published = ParameterSet.initialize(config.model().config(), DataType.FLOAT, 99);
        try (var merger = new OneInputStreamOperatorTestHarness<>(StreamingLstmJob.merger(config))) {
            merger.open();
            ParameterDelta d = new ParameterDelta();
            float[] initial = ParameterSet.initialize(config.model().config(), DataType.FLOAT, 7).toFlatFloats();
            d.delta = published.toFlatFloats();
            for (int i = 0; i < d.delta.length; i++) {
                d.delta[i] -= initial[i];
            }
            merger.processElement(d, 0);
            merger.snapshot(1, 0);
            merger.notifyOfCompletedCheckpoint(1);
        }
        float[] stored = StreamingLstmJob.models(config).start().parameters().toFlatFloats();
        assertThat(stored).as("the merger published a version: not the seeded start")
                .isNotEqualTo(ParameterSet.initialize(config.model().config(), DataType.FLOAT, 7).toFlatFloats());
        TrainingOperator op = StreamingLstmJob.trainer(config, false);
        try (var h = harness(op)) {
            h.open();
            assertThat(op.replica().parameters().toFlatFloats()).isEqualTo(stored);
            assertThat(op.replica().baseVersion()).isEqualTo(1);
        }
    }

    @ParameterizedTest
    @EnumSource(StateBackend.class)
    void stateSurvivesSnapshotAndRestoreBitForBit(StateBackend backend) throws Exception {
        JobConfig config = config("--batch", "3", "--publish-every-windows", "4");
        List<TextEvent> events = randomEvents(new Random(3), 5, 12);
        int cut = events.size() / 2;

        TrainingOperator whole = StreamingLstmJob.trainer(config, false);
        List<ParameterDelta> expected;
        float[] expectedReplica;
        try (var h = harness(whole, backend, 1, 0)) {
            h.open();
            for (TextEvent e : events) {
                h.processElement(e, 0);
            }
            h.endInput();
            expected = h.extractOutputValues();
            expectedReplica = whole.replica().parameters().toFlatFloats();
        }

        List<ParameterDelta> actual = new ArrayList<>();
        OperatorSubtaskState snapshot;
        TrainingOperator first = StreamingLstmJob.trainer(config, false);
        try (var h = harness(first, backend, 1, 0)) {
            h.open();
            for (TextEvent e : events.subList(0, cut)) {
                h.processElement(e, 0);
            }
            assertThat(first.batchSize()).as("the snapshot holds a partly filled batch").isBetween(1, 2);
            snapshot = h.snapshot(1, 0);
            actual.addAll(h.extractOutputValues());
        }
        TrainingOperator second = StreamingLstmJob.trainer(config, false);
        try (var h = harness(second, backend, 1, 0)) {
            h.initializeState(snapshot);
            h.open();
            for (TextEvent e : events.subList(cut, events.size())) {
                h.processElement(e, 0);
            }
            h.endInput();
            actual.addAll(h.extractOutputValues());
            assertThat(second.replica().parameters().toFlatFloats()).isEqualTo(expectedReplica);
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

    /**
     * The windows and predicted tokens {@code events} make, from the input alone: a stream of n tokens makes
     * (n - 1) / T windows of T + 1 tokens (consecutive windows share one), each predicting T.
     */
    static long[] windowsAndTokensOf(List<TextEvent> events, int window) {
        Map<String, Long> tokens = new HashMap<>();
        for (TextEvent e : events) {
            long before = tokens.getOrDefault(e.getStreamId(), 0L);
            tokens.put(e.getStreamId(), before + StreamTokens.of(e, before > 0).length);
        }
        long windows = tokens.values().stream().mapToLong(n -> (n - 1) / window).sum();
        return new long[] {windows, windows * window};
    }

    static float maxAbs(float[] values) {
        float m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }
}
