package dev.streaminglstm.job.input;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.InputFuzzer.Fuzzed;
import dev.streaminglstm.job.input.InputFuzzer.Kind;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job on a real broker, fed {@value #RECORDS} seeded records of which most are bad in every way
 * {@link InputFuzzer} knows, mixed with valid chunks and their replays. With no restarts allowed, the job must stay
 * running, and every record must be accounted for: a valid chunk trained and predicted once, a replay dropped by
 * training and inference, every other record a dead letter with the reason its kind calls for, at the record's own
 * partition and offset.
 */
class FuzzedInputITCase {

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots(METRICS.addToConfiguration(new Configuration()));

    private static final int RECORDS = 100_000;
    private static final long SEED = 2026_12_04L;
    private static final int STREAMS = 12;
    private static final int MAX_RECORD_BYTES = 512;
    private static final int WINDOW = 16;
    private static final Duration PATIENCE = Duration.ofSeconds(120);

    @TempDir
    Path storeDir;

    /** What the job must make of the input. */
    private record Expected(Map<String, Kind> deadLetterKinds, Map<String, Long> tokensPerStream,
            Set<String> acceptedChunks, long dropped, Map<Kind, Integer> kinds) {

        long windows() {
            return tokensPerStream.values().stream().mapToLong(tokens -> tokens > WINDOW ? (tokens - 1) / WINDOW : 0)
                    .sum();
        }

        long tokens() {
            return tokensPerStream.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void everyFuzzedRecordIsTrainedDroppedOrDeadLetteredWithItsReasonAndTheJobNeverRestarts() throws Exception {
        KAFKA.createTopics(2, "text-in", "predictions");
        KAFKA.createTopics(1, "text-dlq");
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(),
                "--store", storeDir.toUri().toString(), "--group-id", "fuzzed-input",
                "--embed", "8", "--hidden", "16", "--window", Integer.toString(WINDOW), "--batch", "8",
                "--checkpoint-interval-ms", "1000", "--continuation-length", "0", "--top-k", "1",
                "--max-record-bytes", Integer.toString(MAX_RECORD_BYTES));
        StreamExecutionEnvironment env = MiniClusters.environment(1);
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        List<Fuzzed> input = new InputFuzzer(SEED, STREAMS, MAX_RECORD_BYTES).next(RECORDS);

        JobClient job = env.executeAsync("fuzzed input");
        try {
            Expected expected = send(input);
            JobID id = job.getJobID();
            awaitOrFail(job, () -> String.format(Locale.ROOT, "predictions=%d/%d tokens=%d/%d windows=%d/%d "
                            + "dead_letters=%d/%d", predictionsMade(id), expected.acceptedChunks().size(),
                    sum(id, "train", "tokensReceived"), expected.tokens(), sum(id, "train", "windowsTrained"),
                    expected.windows(), sum(id, "validate", DeadLetterRouter.DEAD_LETTER_METRIC),
                    expected.deadLetterKinds().size()), () ->
                    predictionsMade(id) >= expected.acceptedChunks().size()
                            && sum(id, "train", "tokensReceived") >= expected.tokens()
                            && sum(id, "train", "windowsTrained") >= expected.windows());
            List<DeadLetter> deadLetters = readDeadLetters(expected.deadLetterKinds().size());
            Map<String, Prediction> predictions = readPredictions(expected.acceptedChunks().size());
            assertThat(job.getJobStatus().get()).as("the job after all its input").isEqualTo(JobStatus.RUNNING);

            printFigures(input.size(), expected, id, deadLetters.size());
            assertEveryDeadLetterHasItsKindsReason(expected, deadLetters);
            assertThat(predictions.keySet()).as("chunks predicted (stream/sequence)")
                    .containsExactlyInAnyOrderElementsOf(expected.acceptedChunks());
            assertThat(predictionsMade(id)).as("predictions made")
                    .isEqualTo(expected.acceptedChunks().size());
            assertThat(sum(id, "train", "tokensReceived")).as("tokens trained").isEqualTo(expected.tokens());
            assertThat(sum(id, "train", "windowsTrained")).as("windows trained").isEqualTo(expected.windows());
            assertThat(sum(id, "train", "duplicatesDropped")).as("replays dropped by training")
                    .isEqualTo(expected.dropped());
            assertThat(sum(id, "infer", "duplicatesDropped")).as("replays dropped by inference")
                    .isEqualTo(expected.dropped());
            assertThat(sum(id, "validate", DeadLetterRouter.DEAD_LETTER_METRIC)).as("dead letters counted")
                    .isEqualTo(expected.deadLetterKinds().size());
            assertThat(expected.acceptedChunks().size() + deadLetters.size() + expected.dropped())
                    .as("trained + dead-lettered + dropped").isEqualTo(input.size());
        } finally {
            if (!job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get(1, TimeUnit.MINUTES);
            }
        }
    }

    /** Sends every record, and works out from where each landed what the job must make of it. */
    private static Expected send(List<Fuzzed> input) throws Exception {
        List<Future<RecordMetadata>> landed = new ArrayList<>(input.size());
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            for (Fuzzed record : input) {
                landed.add(producer.send(new ProducerRecord<>("text-in", record.key(), record.value())));
            }
        }
        Map<String, Kind> deadLetterKinds = new HashMap<>();
        Map<String, Long> tokens = new TreeMap<>();
        Map<String, Long> lastSequence = new HashMap<>();
        Set<String> accepted = new HashSet<>();
        Map<Kind, Integer> kinds = new EnumMap<>(Kind.class);
        long dropped = 0;
        for (int i = 0; i < input.size(); i++) {
            Fuzzed record = input.get(i);
            kinds.merge(record.kind(), 1, Integer::sum);
            if (record.kind().reason != null) {
                RecordMetadata where = landed.get(i).get();
                deadLetterKinds.put(where.partition() + "@" + where.offset(), record.kind());
                continue;
            }
            TextEvent event = record.event();
            String stream = event.getStreamId();
            if (event.getSequenceNumber() <= lastSequence.getOrDefault(stream, 0L)) {
                dropped++;
                continue;
            }
            lastSequence.put(stream, event.getSequenceNumber());
            accepted.add(stream + "/" + event.getSequenceNumber());
            long marks = event.getStartsDocument() ? (tokens.containsKey(stream) ? 2 : 1) : 0;
            tokens.merge(stream, marks + event.getText().getBytes(StandardCharsets.UTF_8).length, Long::sum);
        }
        return new Expected(deadLetterKinds, tokens, accepted, dropped, kinds);
    }

    private static void assertEveryDeadLetterHasItsKindsReason(Expected expected, List<DeadLetter> deadLetters) {
        assertThat(deadLetters.size()).as("dead letters").isEqualTo(expected.deadLetterKinds().size());
        assertThat(KAFKA.endOffsets("text-dlq").values().stream().mapToLong(Long::longValue).sum())
                .as("records on the dead-letter topic").isEqualTo(expected.deadLetterKinds().size());
        Map<String, String> wrong = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (DeadLetter dead : deadLetters) {
            String where = dead.getPartition() + "@" + dead.getOffset();
            Kind kind = expected.deadLetterKinds().get(where);
            assertThat(seen.add(where)).as("one dead letter for the record at %s", where).isTrue();
            if (kind == null || !kind.reason.name().equals(dead.getReasonCode())) {
                wrong.put(where, kind + " became " + dead.getReasonCode() + ": " + dead.getReason());
            }
        }
        assertThat(wrong).as("dead letters whose reason is not their kind's (partition@offset)").isEmpty();
    }

    private static List<DeadLetter> readDeadLetters(int count) throws Exception {
        List<DeadLetter> deadLetters = new ArrayList<>(count);
        for (ConsumerRecord<byte[], byte[]> record : KAFKA.consume("text-dlq", count, Duration.ofSeconds(60))) {
            deadLetters.add(DeadLetter.getDecoder().decode(record.value()));
        }
        return deadLetters;
    }

    /** The predictions on the topic, deduplicated on stream and sequence number. */
    private static Map<String, Prediction> readPredictions(int distinct) throws Exception {
        Map<String, Prediction> predictions = new HashMap<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (KafkaConsumer<byte[], byte[]> reader = KAFKA.committedReader("predictions")) {
            while (predictions.size() < distinct && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    Prediction p = Prediction.getDecoder().decode(record.value());
                    predictions.put(p.getStreamId() + "/" + p.getSequenceNumber(), p);
                }
            }
        }
        return predictions;
    }

    /** Waits until {@code done}, printing {@code progress}; fails at once if the job ends, for it may not restart. */
    private static void awaitOrFail(JobClient job, Supplier<String> progress, BooleanSupplier done) throws Exception {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        for (int look = 0; !done.getAsBoolean(); look++) {
            if (job.getJobStatus().get().isGloballyTerminalState()) {
                job.getJobExecutionResult().get(); // throws the job's failure
                throw new AssertionError("the job ended on its own");
            }
            if (look % 20 == 0) {
                System.out.println("progress: " + progress.get());
            }
            assertThat(System.nanoTime() - deadline).as("waited %s; %s", PATIENCE, progress.get()).isNegative();
            Thread.sleep(500);
        }
    }

    /** Predictions the inference operator made, by a model or without one. */
    private static long predictionsMade(JobID job) {
        return sum(job, "infer", "predictions") + sum(job, "infer", "predictionsWithoutModel");
    }

    /** The sum over the subtasks of {@code operator} of its counter {@code name}. */
    private static long sum(JobID job, String operator, String name) {
        long total = 0;
        for (var group : METRICS.findOperatorMetricGroups(job, operator)) {
            Metric metric = METRICS.getMetricsByGroup(group).get(name);
            if (metric instanceof Counter counter) {
                total += counter.getCount();
            }
        }
        return total;
    }

    private static void printFigures(int sent, Expected expected, JobID id, int deadLettered) {
        System.out.println("fuzzed kinds: " + expected.kinds());
        System.out.printf(Locale.ROOT, "run=fuzzed-input faults_injected=%d faults_survived=%d records_lost=%d "
                        + "sent=%d trained=%d dead_lettered=%d dropped=%d dropped_by_training=%d "
                        + "dropped_by_inference=%d tokens=%d/%d windows=%d/%d%n",
                sent - expected.kinds().getOrDefault(Kind.VALID, 0), deadLettered + expected.dropped(),
                sent - expected.acceptedChunks().size() - deadLettered - expected.dropped(), sent,
                expected.acceptedChunks().size(), deadLettered, expected.dropped(), sum(id, "train",
                        "duplicatesDropped"), sum(id, "infer", "duplicatesDropped"), sum(id, "train",
                        "tokensReceived"), expected.tokens(), sum(id, "train", "windowsTrained"), expected.windows());
    }
}
