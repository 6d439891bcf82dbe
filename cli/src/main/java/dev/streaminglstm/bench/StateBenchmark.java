package dev.streaminglstm.bench;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.EmbeddedStack;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.time.Instant;
import java.util.concurrent.Callable;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.CompletedCheckpointStats;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.StateObject;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench state}: N streams that each sent one window, on RocksDB: the bytes of keyed state per stream in a full
 * checkpoint (training and inference), a full and an incremental checkpoint's size and duration, and the JVM's heap
 * and off-heap memory. The streams are filled through the real job (every window trained, every chunk predicted).
 */
@Command(name = "state", mixinStandardHelpOptions = true,
        description = "N streams that each sent one window, RocksDB backend: bytes of state per stream (training, "
                + "inference), full and incremental checkpoint size and duration, heap and off-heap memory. Prints a "
                + "table, then bytes_per_stream= and checkpoint_s= (the full checkpoint) last.")
public final class StateBenchmark implements Callable<Integer> {

    @Option(names = "--streams", defaultValue = "10000",
            description = "Streams N, each sending one window of T+1 bytes; the run trains and predicts each, about "
                    + "an hour on 2 cores for 1000000 (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--changed-percent", defaultValue = "1",
            description = "Streams that send a second window before the incremental checkpoint (default ${DEFAULT-VALUE}).")
    double changedPercent;

    @Option(names = "--fill-timeout-s", defaultValue = "3600",
            description = "Most seconds the job may take over the streams' windows (default ${DEFAULT-VALUE}).")
    int fillTimeoutSeconds;

    @Option(names = "--keep", description = "Keep the run folder (log, store, checkpoints, RocksDB).")
    boolean keep;

    @Mixin
    JobShape shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One checkpoint's figures: keyed state of training and inference, all of it, and how long it took. */
    record Checkpoint(long trainingBytes, long inferenceBytes, long totalBytes, long checkpointedBytes, double seconds) {}

    @Override
    public Integer call() throws Exception {
        shape.checkpointIntervalMs = spec.commandLine().getParseResult().hasMatchedOption("--checkpoint-interval-ms")
                ? shape.checkpointIntervalMs : 86_400_000; // only the checkpoints this benchmark triggers
        shape.chunkBytes = shape.window + 1; // one record is one window
        shape.check(spec);
        Bench.atLeast(spec, "--streams", streams, 1);
        Bench.atLeast(spec, "--fill-timeout-s", fillTimeoutSeconds, 1);
        if (!(changedPercent > 0 && changedPercent <= 100)) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--changed-percent must be above 0 and at most 100, was " + changedPercent);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("bench state: " + streams + " streams of one window each, RocksDB, " + shape.describe());
        try (BenchRun run = BenchRun.open("state", keep); EmbeddedStack stack = run.stack("state")) {
            List<String> flags = new ArrayList<>(shape.jobFlags());
            flags.add("--state-backend=ROCKSDB");
            JobConfig config = stack.jobConfig(flags);
            stack.createTopics(config, Map.of());
            Configuration flink = new Configuration();
            flink.setString("execution.checkpointing.incremental", "true");
            flink.setString("state.backend.rocksdb.localdir", stack.runDir().resolve("rocksdb").toString());
            EmbeddedStack.RunningJob job = stack.startJob(config,
                    shape.options("bench state").with(flink));
            try {
                serveAFirstVersion(stack, config, job);
                long records = BenchRun.preloadRecords(stack, config, streams, shape.chunkBytes, streams);
                long filled = awaitProcessed(job, 1 + records);
                out.printf("filled: %d windows trained, %d predictions with a model, for %d streams and a warm-up"
                                + " stream%n", InJvmMetrics.counter("train", "windowsTrained"),
                        InJvmMetrics.counter("infer", "predictions"), streams);
                Checkpoint full = checkpoint(job, CheckpointType.FULL);

                int changed = (int) Math.max(1, Math.round(streams * changedPercent / 100));
                long more = BenchRun.preloadRecords(stack, config, changed, shape.chunkBytes, changed);
                awaitProcessed(job, filled + more);
                Checkpoint incremental = checkpoint(job, CheckpointType.INCREMENTAL);
                Memory memory = Memory.now();
                long rocksDbBytes = sizeOf(stack.runDir().resolve("rocksdb"));

                int all = streams + 1;
                double perStream = (double) (full.trainingBytes() + full.inferenceBytes()) / all;
                Table table = new Table("", "bytes", "per stream", "seconds");
                table.row("keyed state, training", Table.count(full.trainingBytes()),
                        Table.count((double) full.trainingBytes() / all), "");
                table.row("keyed state, inference", Table.count(full.inferenceBytes()),
                        Table.count((double) full.inferenceBytes() / all), "");
                table.row("full checkpoint (all state)", Table.count(full.totalBytes()),
                        Table.count((double) full.totalBytes() / all), String.format("%.2f", full.seconds()));
                table.row("incremental checkpoint, " + changed + " streams changed",
                        Table.count(incremental.checkpointedBytes()), "", String.format("%.2f", incremental.seconds()));
                table.row("RocksDB on local disk", Table.count(rocksDbBytes), Table.count((double) rocksDbBytes / all),
                        "");
                table.row("heap used (after GC)", Table.count(memory.heapUsed()), "", "");
                table.row("off-heap: resident - heap committed", Table.count(memory.offHeap()), "", "");
                table.row("direct buffers", Table.count(memory.direct()), "", "");
                table.print(out);
                out.println("one JVM holds the broker, Flink, RocksDB and ND4J: memory is the whole process's");
                if (keep) {
                    out.println("run folder kept: " + run.dir());
                }
                out.printf("streams=%d bytes_per_stream=%.0f training_bytes_per_stream=%.0f inference_bytes_per_stream=%.0f"
                                + " checkpoint_s=%.2f incremental_checkpoint_s=%.2f incremental_bytes=%d%n",
                        streams, perStream, (double) full.trainingBytes() / all,
                        (double) full.inferenceBytes() / all, full.seconds(), incremental.seconds(),
                        incremental.checkpointedBytes());
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
        return 0;
    }

    /**
     * Makes inference serve a model before the streams come: a warm-up stream's windows are trained (as many as make
     * a delta for the merger), a checkpoint publishes the model, and {@code LATEST} moves once it completed.
     */
    private void serveAFirstVersion(EmbeddedStack stack, JobConfig config, EmbeddedStack.RunningJob job)
            throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = stack.producer(config, "bench-warmup")) {
            int windows = Math.max(1, config.training().publishEveryWindows()); // 0: a delta at the next barrier
            TextEvent warmup = TextEvent.newBuilder().setStreamId("bench-warmup").setSequenceNumber(1)
                    .setText("x".repeat(windows * shape.window + 1)).setEventTime(Instant.now())
                    .setStartsDocument(true).setFeatures(null).build();
            producer.send(new ProducerRecord<>(config.kafka().inputTopic(), WireFormat.key("bench-warmup"),
                    WireFormat.value(warmup))).get();
        }
        awaitProcessed(job, 1);
        ModelStore store = ModelStores.open(config.store().uri());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(fillTimeoutSeconds);
        while (store.latestVersion().isEmpty()) { // until the warm-up's delta reached the merger before a checkpoint
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no model version was published for the warm-up stream");
            }
            job.cluster().triggerCheckpoint(job.id(), CheckpointType.DEFAULT).get(5, TimeUnit.MINUTES);
            SteadyState.sleepWhileRunning(job, 500);
        }
    }

    /**
     * Waits until training and inference have each taken {@code records} records, and training has trained what
     * they held (a partly filled batch is trained after at most --flush-ms).
     */
    private long awaitProcessed(EmbeddedStack.RunningJob job, long records) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(fillTimeoutSeconds);
        long windows = -1;
        while (InJvmMetrics.counter("train", "numRecordsIn") < records
                || InJvmMetrics.counter("infer", "numRecordsIn") < records
                || InJvmMetrics.counter("train", "windowsTrained") != windows) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job took more than " + fillTimeoutSeconds + " s over "
                        + records + " records: trained " + InJvmMetrics.counter("train", "windowsTrained")
                        + " windows, predicted " + InJvmMetrics.counter("infer", "numRecordsIn"));
            }
            windows = InJvmMetrics.counter("train", "windowsTrained");
            SteadyState.sleepWhileRunning(job, 1000);
        }
        return records;
    }

    private static Checkpoint checkpoint(EmbeddedStack.RunningJob job, CheckpointType type) throws Exception {
        long started = System.nanoTime();
        long id = job.cluster().triggerCheckpoint(job.id(), type).get(30, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - started) / 1e9;
        AccessExecutionGraph graph = job.cluster().getExecutionGraph(job.id()).get();
        AbstractCheckpointStats stats = graph.getCheckpointStatsSnapshot().getHistory().getCheckpointById(id);
        Map<OperatorID, Long> keyed = keyedStateBytes(((CompletedCheckpointStats) stats).getExternalPath());
        long training = 0;
        long inference = 0;
        for (AccessExecutionJobVertex v : graph.getVerticesTopologically()) {
            // a task's first operator has the task's id: train, and infer (chained with its sink)
            long bytes = keyed.getOrDefault(OperatorID.fromJobVertexID(v.getJobVertexId()), 0L);
            if (v.getName().startsWith("train")) {
                training += bytes;
            } else if (v.getName().startsWith("infer")) {
                inference += bytes;
            }
        }
        return new Checkpoint(training, inference, stats.getStateSize(), stats.getCheckpointedSize(), seconds);
    }

    /** Bytes of keyed state by operator in a checkpoint, read from its metadata. */
    private static Map<OperatorID, Long> keyedStateBytes(String checkpointPath) throws IOException {
        Path metadata = Path.of(URI.create(checkpointPath.startsWith("file:") ? checkpointPath
                : "file:" + checkpointPath)).resolve("_metadata");
        CheckpointMetadata checkpoint;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(metadata))) {
            checkpoint = Checkpoints.loadCheckpointMetadata(in, StateBenchmark.class.getClassLoader(), checkpointPath);
        }
        Map<OperatorID, Long> bytes = new HashMap<>();
        for (OperatorState operator : checkpoint.getOperatorStates()) {
            long sum = 0;
            for (OperatorSubtaskState subtask : operator.getStates()) {
                sum += subtask.getManagedKeyedState().stream().mapToLong(StateObject::getStateSize).sum();
            }
            bytes.put(operator.getOperatorID(), sum);
        }
        return bytes;
    }

    private static long sizeOf(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    /** The process's memory: heap used after a GC, what it holds outside the heap, and direct buffers. */
    record Memory(long heapUsed, long offHeap, long direct) {
        static Memory now() throws IOException {
            System.gc();
            MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
            long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                    .mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
            return new Memory(heap.getUsed(), residentBytes() - heap.getCommitted(), direct);
        }

        private static long residentBytes() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return 1024 * Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            return 0;
        }
    }
}
