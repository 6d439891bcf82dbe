package dev.streaminglstm.bench;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.EmbeddedStack;
import dev.streaminglstm.sandbox.corpus.CorpusReplayer;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.WebOptions;
import org.apache.flink.runtime.checkpoint.AbstractCheckpointStats;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench freshness}: how soon a model version reaches predictions, from the completion of the checkpoint that
 * made it (its last acknowledgement, in Flink's checkpoint statistics: a little before {@code LATEST} can move) to
 * the broker's append time of the first prediction tagged with it. One job per serving poll interval, the job's
 * default first; the others are peers measured in the same run.
 */
@Command(name = "freshness", mixinStandardHelpOptions = true,
        description = "Time from the completion of the checkpoint that made a model version to the first "
                + "prediction tagged with it, at a steady input rate, for each --serving-poll-ms. Prints a table, "
                + "then freshness_ms= (p50) and freshness_max_ms= of the first interval last.")
public final class FreshnessBenchmark implements Callable<Integer> {

    @Option(names = "--streams", defaultValue = "64", description = "Concurrent streams (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--rate", paramLabel = "BYTES_PER_S", defaultValue = "0",
            description = "Input text bytes per second; 0: half the maximum, measured first (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--serving-poll-ms", split = ",", defaultValue = "100,500", paramLabel = "MS[,MS...]",
            description = "Serving poll intervals of inference, one job each; the first is the job's default, 500 "
                    + "was the interval before (default ${DEFAULT-VALUE}).")
    List<Long> pollIntervals;

    @Option(names = "--duration-s", defaultValue = "60",
            description = "Seconds measured per job, after the first version (default ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--max-measure-s", defaultValue = "20",
            description = "Seconds the maximum rate is measured over, after as long a warm-up (default ${DEFAULT-VALUE}).")
    int maxMeasureSeconds;

    @Option(names = "--keep", description = "Keep the run folder (log, store, checkpoints).")
    boolean keep;

    @Mixin
    JobShape shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Freshness of each version made in the measured span, in ms, and the versions no prediction carried. */
    record Freshness(long pollMs, List<Long> millis, int versions, int neverServed) {
        long percentile(double p) {
            return LatencyBenchmark.percentile(millis, p);
        }
    }

    @Override
    public Integer call() throws Exception {
        shape.checkpointIntervalMs = spec.commandLine().getParseResult().hasMatchedOption("--checkpoint-interval-ms")
                ? shape.checkpointIntervalMs : 5000;
        shape.check(spec);
        Bench.atLeast(spec, "--streams", streams, 1);
        Bench.atLeast(spec, "--duration-s", durationSeconds, 1);
        Bench.atLeast(spec, "--max-measure-s", maxMeasureSeconds, 1);
        for (long ms : pollIntervals) {
            Bench.atLeast(spec, "--serving-poll-ms", ms, 10);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("bench freshness: " + streams + " streams, " + shape.describe());
        try (BenchRun run = BenchRun.open("freshness", keep)) {
            double steadyRate = rate;
            if (steadyRate == 0) {
                double max = run.maximumInput(shape, streams, Duration.ofSeconds(maxMeasureSeconds));
                steadyRate = max / 2;
                out.printf("maximum input rate on pre-loaded input: %s B/s; measuring at half: %s B/s%n",
                        Table.count(max), Table.count(steadyRate));
            }
            List<Freshness> rows = new ArrayList<>();
            for (long pollMs : pollIntervals) {
                rows.add(freshness(run, steadyRate, pollMs));
            }
            Table table = new Table("serving poll ms", "versions", "never served", "p50 ms", "max ms", "min ms");
            for (Freshness f : rows) {
                table.row(f.pollMs(), f.versions(), f.neverServed(), f.percentile(50), f.percentile(100),
                        f.percentile(0));
            }
            table.print(out);
            if (keep) {
                out.println("run folder kept: " + run.dir());
            }
            Freshness first = rows.get(0);
            out.printf("serving_poll_ms=%d checkpoint_interval_ms=%d freshness_ms=%d freshness_max_ms=%d"
                            + " freshness_min_ms=%d%n", first.pollMs(), shape.checkpointIntervalMs,
                    first.percentile(50), first.percentile(100), first.percentile(0));
        }
        return 0;
    }

    private Freshness freshness(BenchRun run, double bytesPerSecond, long pollMs) throws Exception {
        try (EmbeddedStack stack = run.stack("poll-" + pollMs)) {
            List<String> flags = new ArrayList<>(shape.jobFlags());
            flags.add("--serving-poll-ms=" + pollMs);
            flags.add("--keep-versions=1000");
            JobConfig config = stack.jobConfig(flags);
            stack.createTopics(config, TopicWatcher.APPEND_TIME);
            Map<Long, Long> firstServed = new ConcurrentHashMap<>();
            Configuration history = new Configuration();
            history.set(WebOptions.CHECKPOINTS_HISTORY_SIZE, 10_000);
            EmbeddedStack.RunningJob job = stack.startJob(config, shape.options("bench freshness").with(history));
            try (TopicWatcher watcher = new TopicWatcher(config, List.of(config.kafka().predictionTopic()),
                    r -> served(r.value(), r.timestamp(), firstServed));
                    KafkaProducer<byte[], byte[]> producer = stack.producer(config, "bench-producer")) {
                CorpusReplayer replayer = BenchRun.replayer(producer, config, streams, shape.chunkBytes,
                        RateLimit.bytesPerSecond(bytesPerSecond));
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread replay = BenchRun.replay(replayer, failure);
                while (firstServed.isEmpty()) { // the first version; the job warms up meanwhile
                    watcher.requireHealthy();
                    SteadyState.sleepWhileRunning(job, 100);
                }
                long from = System.currentTimeMillis();
                SteadyState.sleepWhileRunning(job, 1000L * durationSeconds);
                long to = System.currentTimeMillis();
                SteadyState.sleepWhileRunning(job, 2 * shape.checkpointIntervalMs); // the last versions get served
                replayer.stop();
                replay.join(10_000);
                if (failure.get() != null) {
                    throw new IllegalStateException("the producer failed: " + failure.get(), failure.get());
                }
                Map<Long, Long> completed = completedCheckpoints(job);
                List<Long> millis = new ArrayList<>();
                int versions = 0;
                for (ModelManifest m : ModelStores.open(config.store().uri()).listVersions()) {
                    Long completion = m.getCheckpointId() == null ? null : completed.get(m.getCheckpointId());
                    if (completion == null || completion < from || completion >= to) {
                        continue;
                    }
                    versions++;
                    Long served = firstServed.get(m.getVersion());
                    if (served != null) {
                        millis.add(served - completion);
                    }
                }
                if (millis.isEmpty()) {
                    throw new IllegalStateException("no version made in the measured span reached a prediction");
                }
                return new Freshness(pollMs, millis, versions, versions - millis.size());
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
    }

    /** Completion time (the last acknowledgement, ms) by checkpoint id, of every completed checkpoint. */
    private static Map<Long, Long> completedCheckpoints(EmbeddedStack.RunningJob job) throws Exception {
        Map<Long, Long> completed = new HashMap<>();
        for (AbstractCheckpointStats c : job.cluster().getExecutionGraph(job.id()).get()
                .getCheckpointStatsSnapshot().getHistory().getCheckpoints()) {
            if (c.getStatus() == CheckpointStatsStatus.COMPLETED) {
                completed.put(c.getCheckpointId(), c.getLatestAckTimestamp());
            }
        }
        return completed;
    }

    /** The first append time of a prediction of each version (as stored: a draft of it comes before). */
    private static void served(byte[] value, long appendTime, Map<Long, Long> firstServed) {
        try {
            Prediction p = Prediction.getDecoder().decode(value);
            if (p.getModelVersion() != null && !p.getDraft()) {
                firstServed.merge(p.getModelVersion(), appendTime, Math::min);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
