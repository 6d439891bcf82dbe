package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.KafkaConnectors;
import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.input.InputRecord;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.Publication;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training at parallelism 2, on a MiniCluster with the real Kafka source and an in-JVM broker,
 * RocksDB holding the per-stream state: streams land on both subtasks, both send parameter deltas
 * to the one merger, the merger publishes rising versions with falling loss, both subtasks rebase
 * their replicas on published versions while they train, and the newest version counts exactly
 * the windows and tokens both subtasks trained, which are all the input holds. And a job stopped
 * with a savepoint at parallelism 1 and resumed from it at parallelism 2 counts every window once.
 */
class ParallelTrainingITCase {
    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    static final String TOPIC = "text-in";
    static final int WINDOW = 16;
    static final int CHUNKS = 40;
    /** Per record, so that the job runs for some seconds: long enough for versions to be published and picked up. */
    static final long THROTTLE_MS = 20;
    static final String[][] STREAMS = {
        {"markets", "The market opened higher today. ", "Shares of the bank rose. "},
        {"weather", "Rain is expected in the north. ", "The south stays dry and warm. "},
        {"kitchen", "Mix the flour with the butter. ", "Bake it slowly. "},
        {"garden", "Water the roses in the morning. ", "Cut the grass on Friday. "},
        {"station", "The train leaves at nine. ", "Platform two is closed. "},
        {"library", "Books are due in two weeks. ", "Quiet, please. "},
    };
    /** The deltas the training subtasks send the merger, as the job runs. */
    static final Queue<ParameterDelta> DELTAS = new ConcurrentLinkedQueue<>();

    @TempDir
    Path storeDir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void twoSubtasksTrainOneModelThroughTheMerger() throws Exception {
        KAFKA.createTopics(2, TOPIC);
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.bootstrapServers(),
                "--store", storeDir.toUri().toString(), "--group-id", "parallel-training",
                "--parallelism", "2", "--state-backend", "rocksdb", "--window", Integer.toString(WINDOW),
                "--batch", "4", "--flush-ms", "100", "--publish-every-windows", "4", "--embed", "16", "--hidden", "32",
                "--learning-rate", "0.01", "--checkpoint-interval-ms", "300", "--keep-versions", "1000",
                "--continuation-length", "0", "--top-k", "1");
        long[] expectedWindows = new long[2];
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            for (String[] stream : STREAMS) {
                long bytes = produce(producer, TOPIC, stream, 0, CHUNKS);
                // <start> and the bytes: every window of T + 1 tokens consumes T, the end of input trains all
                expectedWindows[subtaskOf(config, stream[0])] += bytes / WINDOW;
            }
            producer.flush();
        }
        assertThat(expectedWindows).as("streams on both subtasks").doesNotContain(0L);

        StreamExecutionEnvironment env = MiniClusters.environment(1);
        StreamingLstmJob.configure(env, config);
        DataStream<InputRecord> input = env
                .fromSource(KafkaConnectors.sourceBuilder(config).setBounded(OffsetsInitializer.latest()).build(),
                        WatermarkStrategy.noWatermarks(), "text-in")
                .map(new Throttle())
                .name("throttle");
        DELTAS.clear();
        StreamingLstmJob.buildFrom(input, config, new DiscardingSink<>(), new DiscardingSink<>(), true)
                .map(new Recorder())
                .name("record-deltas")
                .sinkTo(new DiscardingSink<>());
        env.execute("parallel training");

        List<ParameterDelta> deltas = new ArrayList<>(DELTAS);
        ModelStore store = ModelStores.open(config.store().uri());
        List<ModelManifest> versions = store.listVersions();
        List<Long> published = store.publications().stream().map(Publication::version).toList();
        ModelManifest first = versions.get(0);
        ModelManifest last = versions.get(versions.size() - 1);
        System.out.printf("%d versions, loss %.2f -> %.2f bpc; deltas (subtask:base version) %s%n", versions.size(),
                first.getRecentLossBpc(), last.getRecentLossBpc(),
                deltas.stream().map(d -> d.subtask + ":" + d.baseVersion).toList());
        for (int subtask = 0; subtask < 2; subtask++) {
            int s = subtask;
            List<ParameterDelta> mine = deltas.stream().filter(d -> d.subtask == s).toList();
            assertThat(mine).as("deltas of subtask %d", s).hasSizeGreaterThan(1);
            assertThat(mine.stream().mapToLong(d -> d.windows).sum()).as("windows of subtask %d", s)
                    .isEqualTo(expectedWindows[s]);
            assertThat(mine.stream().mapToLong(d -> d.baseVersion).max().orElseThrow())
                    .as("subtask %d rebased on a version LATEST pointed at", s)
                    .isPositive()
                    .isIn(published);
        }

        assertThat(versions).as("published versions").hasSizeGreaterThanOrEqualTo(3);
        for (int i = 1; i < versions.size(); i++) {
            assertThat(versions.get(i).getVersion()).isEqualTo(versions.get(i - 1).getVersion() + 1);
            assertThat(versions.get(i).getWindowsTrained()).isGreaterThan(versions.get(i - 1).getWindowsTrained());
        }
        assertThat(last.getRecentLossBpc()).as("recent loss of the last version, in bits per token")
                .isLessThan(first.getRecentLossBpc() - 1.0);
        long windows = expectedWindows[0] + expectedWindows[1];
        assertThat(last.getWindowsTrained()).as("windows of both subtasks, each once").isEqualTo(windows)
                .isEqualTo(deltas.stream().mapToLong(d -> d.windows).sum());
        assertThat(last.getTokensTrained()).isEqualTo(windows * WINDOW)
                .isEqualTo(deltas.stream().mapToLong(d -> d.tokens).sum());
    }

    /**
     * Rescaling a running job from 1 to 2 training subtasks through a savepoint: the single subtask
     * sends no delta before it (so all it trained is unsent progress in the savepoint); after it,
     * the newest version counts every window of the input once, neither lost nor doubled.
     */
    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void aSavepointTakenAtParallelism1RestoresAtParallelism2WithEveryWindowCountedOnce(@TempDir Path savepoints)
            throws Exception {
        String topic = "rescale-in";
        KAFKA.createTopics(2, topic);
        List<String> flags = List.of("--bootstrap-servers", KAFKA.bootstrapServers(), "--input-topic", topic,
                "--store", storeDir.toUri().toString(), "--group-id", "rescale", "--window", Integer.toString(WINDOW),
                "--batch", "4", "--embed", "16", "--hidden", "32", "--checkpoint-interval-ms", "300",
                "--continuation-length", "0", "--top-k", "1");
        long[] bytes = new long[STREAMS.length];
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            for (int s = 0; s < STREAMS.length; s++) {
                bytes[s] += produce(producer, topic, STREAMS[s], 0, CHUNKS);
            }
            producer.flush();
        }

        // Parallelism 1, no delta ever due: run until the input is read and checkpointed, then stop with a savepoint.
        JobConfig one = config(flags, "--parallelism", "1", "--publish-every-windows", "1000000");
        StreamExecutionEnvironment env = MiniClusters.environment(1);
        StreamingLstmJob.configure(env, one);
        StreamingLstmJob.build(env, one, KafkaConnectors.sourceBuilder(one).build(), new DiscardingSink<>(),
                new DiscardingSink<>(), true);
        JobClient job = env.executeAsync("rescale: parallelism 1");
        awaitCommittedOffsets(one.kafka().groupId(), topic);
        String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                .get(1, TimeUnit.MINUTES);
        assertThat(ModelStores.open(one.store().uri()).listVersions()).as("no version before the rescale").isEmpty();

        // Parallelism 2 from the savepoint, on the rest of the input.
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            for (int s = 0; s < STREAMS.length; s++) {
                bytes[s] += produce(producer, topic, STREAMS[s], CHUNKS, 2 * CHUNKS);
            }
            producer.flush();
        }
        long expectedWindows = 0;
        for (long b : bytes) {
            expectedWindows += b / WINDOW; // one document per stream, both halves
        }
        // A source restored from a savepoint keeps its splits unbounded: this run is cancelled once the store has it
        // all. Every trained batch is sent (publish every window), partly filled ones by the flush timer.
        JobConfig two = config(flags, "--parallelism", "2", "--publish-every-windows", "1");
        Configuration restore = new Configuration();
        restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        env = MiniClusters.environment(restore, 1);
        StreamingLstmJob.configure(env, two);
        DELTAS.clear();
        StreamingLstmJob.buildFrom(env.fromSource(KafkaConnectors.sourceBuilder(two).build(),
                        WatermarkStrategy.noWatermarks(), "text-in").uid("text-in"), two, new DiscardingSink<>(),
                        new DiscardingSink<>(), true)
                .map(new Recorder())
                .name("record-deltas")
                .sinkTo(new DiscardingSink<>());
        job = env.executeAsync("rescale: parallelism 2");
        ModelStore store = ModelStores.open(two.store().uri());
        ModelManifest last;
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            do {
                assertThat(job.getJobStatus().get().isGloballyTerminalState()).as("job running").isFalse();
                assertThat(System.nanoTime()).as("all windows published in time").isLessThan(deadline);
                Thread.sleep(300);
                List<ModelManifest> versions = store.listVersions();
                last = versions.isEmpty() ? null : versions.get(versions.size() - 1);
            } while (last == null || last.getWindowsTrained() < expectedWindows);
            // Drained by a final savepoint: whatever either subtask still sends is merged and published by it, so a
            // window counted twice shows in the last version, however late its delta came.
            job.stopWithSavepoint(true, savepoints.toUri().toString(), SavepointFormatType.CANONICAL)
                    .get(1, TimeUnit.MINUTES);
            List<ModelManifest> versions = store.listVersions();
            last = versions.get(versions.size() - 1);
        } finally {
            if (!job.getJobStatus().get().isGloballyTerminalState()) {
                job.cancel().get(1, TimeUnit.MINUTES);
            }
        }

        List<ParameterDelta> deltas = new ArrayList<>(DELTAS);
        assertThat(deltas.stream().map(d -> d.subtask).distinct()).as("deltas of both subtasks").hasSize(2);
        assertThat(deltas.stream().mapToLong(d -> d.windows).sum()).as("windows sent after the rescale")
                .isEqualTo(expectedWindows);
        assertThat(last.getWindowsTrained()).as("every window of the input, once").isEqualTo(expectedWindows);
        assertThat(last.getTokensTrained()).isEqualTo(expectedWindows * WINDOW);
    }

    static JobConfig config(List<String> flags, String... more) {
        List<String> args = new ArrayList<>(flags);
        args.addAll(List.of(more));
        return JobConfig.parse(args.toArray(String[]::new));
    }

    /** Waits until the job's consumer group has committed (at a checkpoint) every record of the topic. */
    static void awaitCommittedOffsets(String groupId, String topic) throws Exception {
        long end = KAFKA.endOffsets(topic).values().stream().mapToLong(Long::longValue).sum();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
            while (true) {
                long committed = admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata().get()
                        .values().stream().filter(java.util.Objects::nonNull).mapToLong(o -> o.offset()).sum();
                if (committed >= end) {
                    return;
                }
                assertThat(System.nanoTime()).as("input read and checkpointed in time").isLessThan(deadline);
                Thread.sleep(200);
            }
        }
    }

    /** The training subtask that {@code config}'s job gives the stream. */
    static int subtaskOf(JobConfig config, String streamId) {
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(streamId, config.state().maxParallelism(),
                config.training().parallelism());
    }

    /** Sends chunks {@code from} to {@code to} of a stream (one document, its sentences in turn); returns their bytes. */
    static long produce(Producer<byte[], byte[]> producer, String topic, String[] stream, int from, int to) {
        long bytes = 0;
        for (int c = from; c < to; c++) {
            String text = stream[1 + c % (stream.length - 1)];
            TextEvent e = TextEvent.newBuilder().setStreamId(stream[0]).setSequenceNumber(c + 1).setText(text)
                    .setEventTime(Instant.ofEpochMilli(1_750_000_000_000L + c)).setStartsDocument(c == 0)
                    .setFeatures(null).build();
            producer.send(new ProducerRecord<>(topic, WireFormat.key(stream[0]), WireFormat.value(e)));
            bytes += text.getBytes(StandardCharsets.UTF_8).length;
        }
        return bytes;
    }

    /** Passes records through slowly enough for checkpoints, versions and rebases to happen while they come. */
    static final class Throttle implements MapFunction<InputRecord, InputRecord> {
        @Override
        public InputRecord map(InputRecord record) throws Exception {
            Thread.sleep(THROTTLE_MS);
            return record;
        }
    }

    /** Keeps every delta the training subtasks send. */
    static final class Recorder implements MapFunction<ParameterDelta, ParameterDelta> {
        @Override
        public ParameterDelta map(ParameterDelta d) {
            DELTAS.add(d);
            return d;
        }
    }
}
