package dev.streaminglstm.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.InferenceSettings.StatePrecision;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.versions.PublishedModels;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The inference operator in Flink's keyed test harness against a real local model store. Every OK prediction is
 * checked against an {@link InferenceSession} fed the same tokens by the test itself, so streams keep their (h, c)
 * exact ({@code --inference-state-precision FLOAT32}) unless a test says otherwise. Processing time is the harness's
 * own clock, so when the operator looks at the store is decided by the test.
 */
class InferenceOperatorTest {

    /** Probabilities computed along the same path agree to float rounding; this is far below any real change. */
    private static final double TOLERANCE = 1e-5;
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_750_000_000_000L);
    private static final int START = ByteVocabulary.START;
    private static final int END = ByteVocabulary.END;

    @TempDir
    Path storeDir;

    private JobConfig config;
    private ModelVersions versions;

    @BeforeEach
    void setUp() throws Exception {
        config = config("--inference-bundle", "1");
        versions = new ModelVersions(storeDir, config);
    }

    /** The tests' model and inference settings, exact stream states unless {@code more} sets a precision, and it. */
    private JobConfig config(String... more) {
        List<String> flags = new ArrayList<>(List.of("--bootstrap-servers", "localhost:9", "--store",
                storeDir.toUri().toString(), "--embed", "8", "--hidden", "16", "--top-k", "5",
                "--continuation-length", "6", "--context-bytes", "48"));
        if (!List.of(more).contains("--inference-state-precision")) {
            flags.addAll(List.of("--inference-state-precision", "FLOAT32"));
        }
        flags.addAll(List.of(more));
        return JobConfig.parse(flags.toArray(String[]::new));
    }

    @Test
    void beforeAnyModelPredictsNoModelAndCountsBytesThenServesTheFirstVersionFromTheKeptContext() throws Exception {
        try (Operator operator = Operator.open(config)) {
            String[] chunks = {"Grüße aus ", "Köln. ", "Bis bald!"};
            long position = 0;
            for (int i = 0; i < chunks.length; i++) {
                Prediction p = operator.predict(event("s", i + 1, chunks[i], i == 0));
                position += utf8(chunks[i]).length;
                assertThat(p.getStatus()).isEqualTo(PredictionStatus.NO_MODEL);
                assertThat(p.getStreamId()).isEqualTo("s");
                assertThat(p.getSequenceNumber()).isEqualTo(i + 1);
                assertThat(p.getBytePosition()).isEqualTo(position);
                assertThat(p.getEventTime()).isEqualTo(EVENT_TIME);
                assertThat(p.getModelVersion()).isNull();
                assertThat(p.getTopK()).isEmpty();
                assertThat(p.getSurpriseBits()).isNull();
            }

            ParameterSet v1 = versions.publish(1, 11);
            operator.waitPastPollInterval();
            Prediction first = operator.predict(event("s", 4, " Tschüss.", false));
            InferenceSession reference = session(v1);
            reference.feed(concat(new int[] {START}, tokens(chunks[0]), tokens(chunks[1]), tokens(chunks[2])));
            float[] expected = reference.feed(tokens(" Tschüss."));
            assertPrediction(first, 1, expected, reference);
            assertThat(first.getBytePosition()).isEqualTo(position + utf8(" Tschüss.").length);
            assertThat(first.getSurpriseBits()).as("the previous prediction had no model").isNull();

            Prediction second = operator.predict(event("s", 5, "Ciao.", false));
            assertPrediction(second, 1, reference.feed(tokens("Ciao.")), reference);
            assertThat(second.getSurpriseBits()).isCloseTo(bits(expected['C']), within(1e-6));
        }
    }

    @Test
    void predictionsOfAPublishedVersionEqualAPlainSessionPerStream() throws Exception {
        ParameterSet v1 = versions.publish(1, 11);
        String[][] streams = {
            {"The cat sat on the mat. ", "The cat ran. ", "The dog sat. ", "The end."},
            {"Ein Hund lief. ", "Ein Hund saß. ", "Fin."}};
        InferenceSession[] references = {session(v1), session(v1)};
        float[][] previous = new float[streams.length][];
        long[] positions = new long[streams.length];
        try (Operator operator = Operator.open(config)) {
            for (int round = 0; round < 4; round++) {
                for (int s = 0; s < streams.length; s++) {
                    if (round >= streams[s].length) {
                        continue;
                    }
                    String text = streams[s][round];
                    int[] chunkTokens = round == 0 ? concat(new int[] {START}, tokens(text)) : tokens(text);
                    Prediction p = operator.predict(event("stream-" + s, round + 1, text, round == 0));
                    float[] expected = references[s].feed(chunkTokens);
                    positions[s] += utf8(text).length;

                    assertThat(p.getStreamId()).isEqualTo("stream-" + s);
                    assertThat(p.getBytePosition()).isEqualTo(positions[s]);
                    assertPrediction(p, 1, expected, references[s]);
                    if (round == 0) {
                        assertThat(p.getSurpriseBits()).as("a stream's first chunk").isNull();
                    } else {
                        assertThat(p.getSurpriseBits()).isFinite()
                                .isCloseTo(bits(previous[s][chunkTokens[0]]), within(1e-6));
                    }
                    previous[s] = expected;
                }
            }
        }
    }

    @Test
    void duplicatesAndReplaysAreDroppedWithoutTouchingTheStream() throws Exception {
        ParameterSet v1 = versions.publish(1, 11);
        InferenceSession reference = session(v1);
        try (Operator operator = Operator.open(config)) {
            assertPrediction(operator.predict(event("s", 1, "alpha ", true)), 1,
                    reference.feed(concat(new int[] {START}, tokens("alpha "))), reference);
            assertPrediction(operator.predict(event("s", 2, "beta ", false)), 1, reference.feed(tokens("beta ")),
                    reference);

            assertThat(operator.process(event("s", 2, "beta ", false))).as("duplicate").isEmpty();
            assertThat(operator.process(event("s", 1, "replayed text ", false))).as("replay").isEmpty();
            assertThat(operator.process(event("s", 0, "older still ", true))).as("older replay").isEmpty();

            Prediction p = operator.predict(event("s", 7, "gamma", false));
            assertPrediction(p, 1, reference.feed(tokens("gamma")), reference);
            assertThat(p.getSequenceNumber()).isEqualTo(7);
            assertThat(p.getBytePosition()).isEqualTo(utf8("alpha beta gamma").length);
        }
    }

    @Test
    void withRebuildASwappedModelRebuildsTheStreamFromItsKeptContextSoOldStateNeverMeetsNewWeights()
            throws Exception {
        config = config("--on-new-version", "REBUILD", "--inference-bundle", "1");
        ParameterSet v1 = versions.publish(1, 11);
        String[] chunks = {"It was the best of times, ", "it was the worst of times, ",
            "it was the age of wisdom, ", "it was the age ", "of foolishness.", " Then"};
        InferenceSession old = session(v1);
        List<Integer> seen = new ArrayList<>();
        try (Operator operator = Operator.open(config)) {
            for (int i = 0; i < 3; i++) {
                int[] chunkTokens = i == 0 ? concat(new int[] {START}, tokens(chunks[i])) : tokens(chunks[i]);
                assertPrediction(operator.predict(event("s", i + 1, chunks[i], i == 0)), 1, old.feed(chunkTokens), old);
                Arrays.stream(chunkTokens).forEach(seen::add);
            }

            ParameterSet v2 = versions.publish(2, 22);
            float[] beforeV1 = old.nextDistribution();
            Prediction notYetPolled = operator.predict(event("s", 4, chunks[3], false));
            assertPrediction(notYetPolled, 1, old.feed(tokens(chunks[3])), old);
            assertThat(notYetPolled.getSurpriseBits()).isCloseTo(bits(beforeV1['i']), within(1e-6));
            Arrays.stream(tokens(chunks[3])).forEach(seen::add);

            operator.waitPastPollInterval();
            Prediction swapped = operator.predict(event("s", 5, chunks[4], false));
            int[] all = seen.stream().mapToInt(Integer::intValue).toArray();
            assertThat(all.length).as("the stream is longer than the kept context").isGreaterThan(config.inference().contextBytes());
            InferenceSession fresh = session(v2);
            fresh.feed(Arrays.copyOfRange(all, all.length - config.inference().contextBytes(), all.length));
            float[] expected = fresh.feed(tokens(chunks[4]));
            assertPrediction(swapped, 2, expected, fresh);
            assertThat(swapped.getSurpriseBits()).as("the previous prediction came from another model").isNull();

            InferenceSession oldStateNewWeights = session(v2);
            oldStateNewWeights.restore(old.flatState(), old.nextDistribution());
            float[] wrong = oldStateNewWeights.feed(tokens(chunks[4]));
            assertThat(maxDifference(wrong, expected)).as("the test tells the two apart").isGreaterThan(1e-4);

            Prediction next = operator.predict(event("s", 6, chunks[5], false));
            assertPrediction(next, 2, fresh.feed(tokens(chunks[5])), fresh);
            assertThat(next.getSurpriseBits()).isCloseTo(bits(expected[' ']), within(1e-6));
        }
    }

    @Test
    void corruptTornOrMisshapenNewerVersionsAreNeverServed() throws Exception {
        ParameterSet v1 = versions.publish(1, 11);
        InferenceSession reference = session(v1);
        try (Operator operator = Operator.open(config)) {
            assertPrediction(operator.predict(event("s", 1, "One. ", true)), 1,
                    reference.feed(concat(new int[] {START}, tokens("One. "))), reference);

            versions.publish(2, 22);
            versions.flipParameterBit(2);
            operator.waitPastPollInterval();
            assertPrediction(operator.predict(event("s", 2, "Two. ", false)), 1, reference.feed(tokens("Two. ")),
                    reference);

            versions.publish(3, 33);
            versions.tearParameters(3);
            operator.waitPastPollInterval();
            assertPrediction(operator.predict(event("s", 3, "Three. ", false)), 1, reference.feed(tokens("Three. ")),
                    reference);

            ModelConfig otherShape = new ModelConfig(ByteVocabulary.SIZE, 8, 24, 1,
                    versions.shape().cellType(), 0);
            versions.publish(4, otherShape, 44);
            operator.waitPastPollInterval();
            Prediction p = operator.predict(event("s", 4, "Four. ", false));
            float[] before = reference.nextDistribution();
            assertPrediction(p, 1, reference.feed(tokens("Four. ")), reference);
            assertThat(p.getSurpriseBits()).as("still the same model, no swap").isCloseTo(bits(before['F']), within(1e-6));

            ParameterSet v5 = versions.publish(5, 55);
            operator.waitPastPollInterval();
            InferenceSession carried = session(v5); // the stream's state goes on with the new weights
            carried.restore(reference.flatState());
            assertPrediction(operator.predict(event("s", 5, "Five.", false)), 5, carried.feed(tokens("Five.")),
                    carried);
        }
    }

    @ParameterizedTest
    @CsvSource({"FLOAT16, 0", "FLOAT32, 0", "FLOAT16, 0.05"})
    void streamStateSurvivesSnapshotAndRestoreAsIfUninterrupted(StatePrecision precision, String adaptHeadRate)
            throws Exception {
        // with --adapt-head-rate each stream's head correction is kept too
        config = config("--inference-bundle", "1", "--inference-state-precision", precision.name(),
                "--adapt-head-rate", adaptHeadRate);
        List<TextEvent> events = List.of(
                event("s", 1, "Snapshots keep ", true),
                event("t", 1, "Another stream ", true),
                event("s", 2, "the state of every stream, ", false),
                event("t", 2, "with its own text. ", false),
                event("s", 3, "its context ", false),
                event("t", 3, "And more. ", false),
                event("s", 4, "and its position.", false),
                event("t", 4, "End.", false));
        try (Operator uninterrupted = Operator.open(config)) {
            List<Prediction> expected = new ArrayList<>();
            List<Prediction> actual = new ArrayList<>();
            OperatorSubtaskState snapshot;
            try (Operator before = Operator.open(config)) {
                expected.addAll(uninterrupted.process(events.get(0)));
                actual.addAll(before.process(events.get(0)));
                versions.publish(1, 11);
                uninterrupted.waitPastPollInterval();
                before.waitPastPollInterval();
                for (TextEvent e : events.subList(1, 4)) {
                    expected.addAll(uninterrupted.process(e));
                    actual.addAll(before.process(e));
                }
                snapshot = before.harness.snapshot(1L, 0L);
            }
            try (Operator after = Operator.restore(config, snapshot)) {
                assertThat(after.process(events.get(2))).as("a replay after the restore").isEmpty();
                expected.addAll(uninterrupted.process(events.get(4)));
                actual.addAll(after.process(events.get(4)));
                versions.publish(2, 22);
                uninterrupted.waitPastPollInterval();
                after.waitPastPollInterval();
                for (TextEvent e : events.subList(5, events.size())) {
                    expected.addAll(uninterrupted.process(e));
                    actual.addAll(after.process(e));
                }
            }
            assertThat(expected).hasSize(events.size());
            assertThat(expected.subList(1, expected.size()))
                    .allSatisfy(p -> assertThat(p.getStatus()).isEqualTo(PredictionStatus.OK));
            assertThat(expected.get(expected.size() - 1).getModelVersion()).isEqualTo(2L);
            assertThat(actual.stream().map(InferenceOperatorTest::withoutEmissionTime).toList())
                    .containsExactlyElementsOf(expected.stream().map(InferenceOperatorTest::withoutEmissionTime).toList());
        }
    }

    @Test
    void chunksWaitForTheirBundleThenComeOutInArrivalOrderAsEachStreamAloneWouldHaveThem() throws Exception {
        versions.publish(1, 11);
        JobConfig bundled = config("--inference-bundle", "4", "--inference-bundle-ms", "5");
        List<TextEvent> events = List.of(event("a", 1, "Bundles of ", true), event("b", 1, "streams ", true),
                event("a", 2, "read together", false), event("c", 1, "One", true), // a full bundle: a twice
                event("b", 2, "wait ", false), event("c", 2, " two", false),       // read when the time is up
                event("a", 3, " and more", false));                                 // read before the checkpoint
        try (Operator single = Operator.open(config); Operator together = Operator.open(bundled)) {
            List<Prediction> expected = new ArrayList<>();
            for (TextEvent e : events) {
                expected.addAll(single.process(e));
            }
            List<Prediction> actual = new ArrayList<>();
            for (TextEvent e : events.subList(0, 3)) {
                assertThat(together.process(e)).as("waits for its bundle").isEmpty();
            }
            actual.addAll(together.process(events.get(3)));
            assertThat(actual).as("a full bundle is read at once").hasSize(4);
            assertThat(together.process(events.get(4))).isEmpty();
            assertThat(together.process(events.get(5))).isEmpty();
            together.harness.setProcessingTime(together.harness.getProcessingTime() + 5);
            assertThat(together.harness.getOutput()).as("each keeps its chunk's timestamp").hasSize(2)
                    .allSatisfy(r -> assertThat(((StreamRecord<?>) r).getTimestamp()).isEqualTo(7L));
            actual.addAll(together.harness.extractOutputValues());
            together.harness.getOutput().clear();
            assertThat(actual).as("the time is up").hasSize(6);
            assertThat(together.process(events.get(6))).isEmpty();
            together.harness.prepareSnapshotPreBarrier(1L); // as the task does before it sends the barrier on
            actual.addAll(together.harness.extractOutputValues());

            assertSamePredictions(actual, expected);
        }
    }

    @Test
    void aBundleOfManyStreamsIsSteppedTogetherAndPredictsWhatEachStreamAloneWould() throws Exception {
        versions.publish(1, 11);
        JobConfig bundled = config("--inference-bundle", "64", "--inference-bundle-ms", "1000");
        List<TextEvent> events = new ArrayList<>();
        for (int s = 0; s < 2 * StreamPredictor.MIN_BUNDLED; s++) {
            events.add(event("s" + s, 1, "Stream " + s + " begins", true));
        }
        events.add(event("s0", 2, " and goes on", false)); // a second round, of one stream
        try (Operator single = Operator.open(config); Operator together = Operator.open(bundled)) {
            List<Prediction> expected = new ArrayList<>();
            for (TextEvent e : events) {
                expected.addAll(single.process(e));
                assertThat(together.process(e)).isEmpty();
            }
            together.harness.prepareSnapshotPreBarrier(1L);
            assertSamePredictions(together.harness.extractOutputValues(), expected);
        }
    }

    /** The same predictions in the same order, to float rounding. */
    private static void assertSamePredictions(List<Prediction> actual, List<Prediction> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            Prediction e = expected.get(i);
            Prediction a = actual.get(i);
            assertThat(a.getStreamId() + a.getSequenceNumber()).isEqualTo(e.getStreamId() + e.getSequenceNumber());
            assertThat(a.getModelVersion()).isEqualTo(e.getModelVersion());
            assertThat(a.getScoredTokens()).isEqualTo(e.getScoredTokens());
            assertThat(a.getScoredBits()).isCloseTo(e.getScoredBits(), within(1e-4));
            assertThat(a.getContinuation()).isEqualTo(e.getContinuation());
            for (int k = 0; k < e.getTopK().size(); k++) {
                assertThat(a.getTopK().get(k).getToken()).isEqualTo(e.getTopK().get(k).getToken());
                assertThat((double) a.getTopK().get(k).getProbability())
                        .isCloseTo(e.getTopK().get(k).getProbability(), within(TOLERANCE));
            }
        }
    }

    @Test
    void aDocumentStartAfterEarlierTextEndsTheOldDocumentAndResetsTheState() throws Exception {
        ParameterSet v1 = versions.publish(1, 11);
        InferenceSession reference = session(v1);
        try (Operator operator = Operator.open(config)) {
            operator.predict(event("s", 1, "First document. ", true));
            reference.feed(concat(new int[] {START}, tokens("First document. ")));
            operator.predict(event("s", 2, "Still first. ", false));
            float[] beforeStart = reference.feed(tokens("Still first. "));

            Prediction p = operator.predict(event("s", 3, "Second one.", true));
            float[] expected = reference.feed(concat(new int[] {END, START}, tokens("Second one.")));
            assertPrediction(p, 1, expected, reference);
            assertThat(p.getSurpriseBits()).as("surprise at the <end> mark")
                    .isCloseTo(bits(beforeStart[END]), within(1e-6));
            assertThat(p.getBytePosition()).as("marks are not bytes")
                    .isEqualTo(utf8("First document. Still first. Second one.").length);

            InferenceSession freshDocument = session(v1);
            float[] fresh = freshDocument.feed(concat(new int[] {START}, tokens("Second one.")));
            assertThat(maxDifference(expected, fresh)).as("<start> forgets the earlier document").isLessThan(TOLERANCE);
        }
    }

    // ---- checks and helpers

    /** An OK prediction of {@code version} whose top-k and continuation are those of {@code expected}. */
    private void assertPrediction(Prediction p, long version, float[] expected, InferenceSession reference) {
        assertThat(p.getStatus()).isEqualTo(PredictionStatus.OK);
        assertThat(p.getModelVersion()).as("model version").isEqualTo(version);
        List<TokenProbability> top = p.getTopK();
        assertThat(top).hasSize(config.inference().topK());
        Set<Integer> shown = new HashSet<>();
        for (int i = 0; i < top.size(); i++) {
            TokenProbability t = top.get(i);
            assertThat(t.getProbability()).isGreaterThan(0f).isLessThanOrEqualTo(1f);
            assertThat((double) t.getProbability()).as("probability of token %d", t.getToken())
                    .isCloseTo(expected[t.getToken()], within(TOLERANCE));
            assertThat(t.getDisplay()).isEqualTo(ByteVocabulary.display(t.getToken()));
            if (i > 0) {
                assertThat(t.getProbability()).as("sorted").isLessThanOrEqualTo(top.get(i - 1).getProbability());
            }
            shown.add(t.getToken());
        }
        assertThat(shown).hasSize(top.size());
        float lowestShown = top.get(top.size() - 1).getProbability();
        for (int token = 0; token < expected.length; token++) {
            if (!shown.contains(token)) {
                assertThat((double) expected[token]).as("token %d left out of the top k", token)
                        .isLessThanOrEqualTo(lowestShown + TOLERANCE);
            }
        }
        int[] continuation = reference.generate(config.inference().continuationLength(), 0.0, 0, END, new Random(0));
        assertThat(continuation).isNotEmpty();
        assertThat(p.getContinuation()).isEqualTo(ByteVocabulary.decode(continuation));
    }

    private InferenceSession session(ParameterSet parameters) {
        return new InferenceSession(Kernel.FAST.create(versions.shape()), parameters, null, START);
    }

    private static TextEvent event(String streamId, long sequenceNumber, String text, boolean startsDocument) {
        return TextEvent.newBuilder().setStreamId(streamId).setSequenceNumber(sequenceNumber).setText(text)
                .setEventTime(EVENT_TIME).setStartsDocument(startsDocument).build();
    }

    private static Prediction withoutEmissionTime(Prediction p) {
        return Prediction.newBuilder(p).setEmittedAt(Instant.EPOCH).build();
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static int[] tokens(String text) {
        return ByteVocabulary.encode(text);
    }

    private static int[] concat(int[]... parts) {
        return Arrays.stream(parts).flatMapToInt(Arrays::stream).toArray();
    }

    private static double bits(float probability) {
        return -Math.log(probability) / Math.log(2);
    }

    private static double maxDifference(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** The operator in a keyed harness, with the harness's processing-time clock and its output drained. */
    private static final class Operator implements AutoCloseable {
        final KeyedOneInputStreamOperatorTestHarness<String, TextEvent, Prediction> harness;

        private Operator(JobConfig config) throws Exception {
            harness = new KeyedOneInputStreamOperatorTestHarness<>(
                    StreamingLstmJob.inference(config), TextEvent::getStreamId, Types.STRING);
            harness.setProcessingTime(1_000);
        }

        static Operator open(JobConfig config) throws Exception {
            Operator operator = new Operator(config);
            operator.harness.open();
            return operator;
        }

        static Operator restore(JobConfig config, OperatorSubtaskState snapshot) throws Exception {
            Operator operator = new Operator(config);
            operator.harness.initializeState(snapshot);
            operator.harness.open();
            return operator;
        }

        /** Lets enough processing time pass that the next element looks at the store again. */
        void waitPastPollInterval() throws Exception {
            harness.setProcessingTime(harness.getProcessingTime() + PublishedModels.SERVING_POLL_MS);
        }

        /** The predictions one event gives (its record's timestamp 7). */
        List<Prediction> process(TextEvent event) throws Exception {
            harness.processElement(event, 7L);
            List<Prediction> out = harness.extractOutputValues();
            harness.getOutput().clear();
            return out;
        }

        /** The one prediction an accepted event gives. */
        Prediction predict(TextEvent event) throws Exception {
            List<Prediction> out = process(event);
            assertThat(out).as("predictions for %s #%d", event.getStreamId(), event.getSequenceNumber()).hasSize(1);
            return out.get(0);
        }

        @Override
        public void close() throws Exception {
            harness.close();
        }
    }
}
