package dev.streaminglstm.job.inference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.KafkaConnectors;
import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.InputRecord;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drafts in a real job: with {@code --draft-interval-ms}, exactly-once predictions (read committed) are made by
 * drafts between checkpoints, each a draft of a version the job then writes, and still after a failover, when the
 * restored run serves its own drafts and not the failed one's; a stream's versions never go back, across the
 * failover too. (With at-least-once predictions a reader also sees the failed run's, some from a draft the restore
 * took back: this test's first version, at the job's default, saw a stream go from a draft of v4 back to v3.)
 */
class DraftServingITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    static final int STREAMS = 6;
    static final int CHUNKS = 120;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void predictionsComeFromTheRunsOwnDraftsBeforeAndAfterAFailover() throws Exception {
        KAFKA.createTopics(1, "text-in", "predictions", "text-dlq");
        produceStreams();
        String store = dir.toUri().toString();
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(), "--store", store,
                "--group-id", "drafts", "--window", "16", "--batch", "4", "--embed", "8", "--hidden", "16",
                "--checkpoint-interval-ms", "600", "--draft-interval-ms", "100", "--keep-versions", "100000",
                "--continuation-length", "0", "--top-k", "1", "--seed", "3", "--prediction-guarantee", "EXACTLY_ONCE");

        StreamExecutionEnvironment env = MiniClusters.withRestarts(3, Duration.ofMillis(200));
        StreamingLstmJob.configure(env, config);
        DataStream<InputRecord> input = MiniClusters.inputUpToNow(env, config)
                .map(new SlowMapperFailingOnce())
                .name("slow-fail-once");
        StreamingLstmJob.buildFrom(input, config, KafkaConnectors.predictionSink(config.kafka()),
                new DiscardingSink<>(), true);
        SlowMapperFailingOnce.FAILURES.set(0);
        env.execute("drafts");

        List<Prediction> predictions = readPredictions(STREAMS * CHUNKS);
        ModelStore s = ModelStores.open(store);
        Set<Long> versions = s.listVersions().stream().map(ModelManifest::getVersion).collect(Collectors.toSet());
        assertThat(SlowMapperFailingOnce.FAILURES).as("the injected failure happened").hasValue(1);
        assertThat(predictions).as("one committed prediction per chunk").hasSize(STREAMS * CHUNKS);
        List<Prediction> fromDrafts = predictions.stream().filter(Prediction::getDraft).toList();
        assertThat(fromDrafts).as("predictions made by drafts").isNotEmpty();
        assertThat(fromDrafts).allSatisfy(p -> {
            assertThat(p.getStatus()).isEqualTo(PredictionStatus.OK);
            assertThat(versions).as("a draft is of a version the job then wrote").contains(p.getModelVersion());
        });
        assertThat(fromDrafts).as("drafts served after the failover, in the last quarter of every stream's chunks")
                .filteredOn(p -> p.getSequenceNumber() >= CHUNKS * 3 / 4)
                .extracting(Prediction::getStreamId).containsAll(
                        predictions.stream().map(Prediction::getStreamId).collect(Collectors.toSet()));
        Map<String, Long> lastVersion = new HashMap<>();
        for (Prediction p : predictions) {
            if (p.getModelVersion() != null) {
                assertThat(p.getModelVersion()).as("%s #%d: versions never go back, across the failover too",
                        p.getStreamId(), p.getSequenceNumber())
                        .isGreaterThanOrEqualTo(lastVersion.getOrDefault(p.getStreamId(), 0L));
                lastVersion.put(p.getStreamId(), p.getModelVersion());
            }
        }
        System.out.printf("%d of %d predictions by drafts%n", fromDrafts.size(), predictions.size());
    }

    /** Chunks of English words, the streams interleaved, in sequence order per stream. */
    static void produceStreams() {
        String[] words = {"the ", "house ", "of ", "commons ", "and ", "the ", "council ", "agreed ", "today. "};
        for (int c = 1; c <= CHUNKS; c++) {
            for (int s = 0; s < STREAMS; s++) {
                StringBuilder text = new StringBuilder();
                for (int w = 0; w < 4; w++) {
                    text.append(words[(c * 7 + s * 3 + w * 5) % words.length]);
                }
                TextEvent e = TextEvent.newBuilder().setStreamId("doc-" + s).setSequenceNumber(c)
                        .setText(text.toString()).setEventTime(Instant.ofEpochMilli(1_750_000_000_000L + c))
                        .setStartsDocument(c == 1).setFeatures(null).build();
                KAFKA.produce("text-in", WireFormat.key(e.getStreamId()), WireFormat.value(e));
            }
        }
    }

    /** The committed predictions, deduplicated on stream and sequence number, in the order read. */
    private static List<Prediction> readPredictions(int distinct) throws Exception {
        Map<String, Prediction> predictions = new HashMap<>();
        List<Prediction> ordered = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (KafkaConsumer<byte[], byte[]> reader = KAFKA.committedReader("predictions")) {
            while (predictions.size() < distinct && System.nanoTime() - deadline < 0) {
                for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                    Prediction p = Prediction.getDecoder().decode(record.value());
                    if (predictions.putIfAbsent(p.getStreamId() + "/" + p.getSequenceNumber(), p) == null) {
                        ordered.add(p);
                    }
                }
            }
        }
        return ordered;
    }

    /**
     * Passes records through slowly enough for several checkpoints and many drafts, and throws once, in the first
     * attempt, after a quarter of the input and a completed checkpoint.
     */
    static final class SlowMapperFailingOnce extends RichMapFunction<InputRecord, InputRecord>
            implements CheckpointListener {
        static final AtomicInteger FAILURES = new AtomicInteger();
        private transient volatile boolean checkpointed;
        private transient int seen;

        @Override
        public void open(OpenContext openContext) {
            checkpointed = false;
            seen = 0;
        }

        @Override
        public InputRecord map(InputRecord record) throws Exception {
            if (++seen >= STREAMS * CHUNKS / 4 && checkpointed && FAILURES.get() == 0) {
                FAILURES.incrementAndGet();
                throw new IllegalStateException("injected failure at record " + seen);
            }
            Thread.sleep(10);
            return record;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }
    }
}
