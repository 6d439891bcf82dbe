package dev.streaminglstm.bench;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.EmbeddedStack;
import dev.streaminglstm.sandbox.corpus.CorpusReplayer;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench latency}: time from a record's append to the input topic to the append of its prediction, both the
 * broker's own append times ({@code LogAppendTime}), at a steady input rate, predictions at-least-once (the job's
 * default). Without {@code --rate}, the rate is half the maximum measured first on input pre-loaded into the topic.
 */
@Command(name = "latency", mixinStandardHelpOptions = true,
        description = "Time from a record's append to its prediction's append (broker append times), at a steady "
                + "input rate: half the measured maximum unless --rate is given. Prints a table, then p50_ms=, "
                + "p99_ms= and max_ms= last.")
public final class LatencyBenchmark implements Callable<Integer> {

    @Option(names = "--streams", defaultValue = "1024", description = "Concurrent streams (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--rate", paramLabel = "BYTES_PER_S", defaultValue = "0",
            description = "Input text bytes per second; 0: half the maximum, measured first (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--duration-s", defaultValue = "60",
            description = "Seconds of input whose latency is measured (default ${DEFAULT-VALUE}).")
    int durationSeconds;

    @Option(names = "--warmup-s", defaultValue = "60",
            description = "Seconds of input after the first prediction made with a model, not measured: the first "
                    + "version rebuilds every stream's state from its context, a burst that is not the steady state "
                    + "(default ${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--max-measure-s", defaultValue = "30",
            description = "Seconds the maximum rate is measured over, after as long a warm-up (default ${DEFAULT-VALUE}).")
    int maxMeasureSeconds;

    /** Seconds per span of the worst-latency timeline. */
    private static final int SPAN_SECONDS = 5;
    private static final Duration FIRST_MODEL_TIMEOUT = Duration.ofMinutes(5);

    @Option(names = "--keep", description = "Keep the run folder (log, store, checkpoints).")
    boolean keep;

    @Mixin
    JobShape shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Latencies of the predictions of records appended in the measured span, in ms, and what was left over. */
    record Latencies(List<Long> millis, long recordsSent, long unanswered, long withoutModel, long[] worstBySpan) {
        long percentile(double p) {
            return LatencyBenchmark.percentile(millis, p);
        }
    }

    @Override
    public Integer call() throws Exception {
        shape.check(spec);
        Bench.atLeast(spec, "--streams", streams, 1);
        Bench.atLeast(spec, "--duration-s", durationSeconds, 1);
        Bench.atLeast(spec, "--warmup-s", warmupSeconds, 0);
        Bench.atLeast(spec, "--max-measure-s", maxMeasureSeconds, 1);
        if (rate < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate must be at least 0, was " + rate);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("bench latency: " + streams + " streams, " + shape.describe() + ", predictions at-least-once");
        try (BenchRun run = BenchRun.open("latency", keep)) {
            double maxRate = Double.NaN;
            double steadyRate = rate;
            if (steadyRate == 0) {
                maxRate = run.maximumInput(shape, streams, Duration.ofSeconds(maxMeasureSeconds));
                steadyRate = maxRate / 2;
                out.printf("maximum input rate on pre-loaded input: %s B/s; measuring at half: %s B/s%n",
                        Table.count(maxRate), Table.count(steadyRate));
            }
            Latencies l = latencies(run, steadyRate);
            if (l.millis().isEmpty()) {
                throw new IllegalStateException("no prediction of a record appended in the measured span");
            }
            Table table = new Table("streams", "input B/s", "max B/s", "records", "predicted", "p50 ms", "p99 ms",
                    "max ms", "unanswered", "without model");
            table.row(streams, Table.count(steadyRate), Double.isNaN(maxRate) ? "-" : Table.count(maxRate),
                    l.recordsSent(), l.millis().size(), l.percentile(50), l.percentile(99), l.percentile(100),
                    l.unanswered(), l.withoutModel());
            table.print(out);
            out.println("max ms by " + SPAN_SECONDS + " s from the first prediction with a model (warm-up "
                    + warmupSeconds + " s, then the measured span): " + Arrays.toString(l.worstBySpan()));
            if (keep) {
                out.println("run folder kept: " + run.dir());
            }
            out.printf("streams=%d rate_bytes_per_s=%.0f p50_ms=%d p99_ms=%d max_ms=%d%n", streams, steadyRate,
                    l.percentile(50), l.percentile(99), l.percentile(100));
        }
        return 0;
    }

    private Latencies latencies(BenchRun run, double bytesPerSecond) throws Exception {
        try (EmbeddedStack stack = run.stack("steady")) {
            JobConfig config = stack.jobConfig(shape.jobFlags());
            stack.createTopics(config, TopicWatcher.APPEND_TIME);
            Map<String, Long> appended = new ConcurrentHashMap<>();
            Map<String, Long> latencies = new ConcurrentHashMap<>();
            java.util.Set<String> withoutModel = ConcurrentHashMap.newKeySet();
            AtomicLong firstWithModel = new AtomicLong();
            EmbeddedStack.RunningJob job = stack.startJob(config, shape.options("bench latency"));
            String input = config.kafka().inputTopic();
            try (TopicWatcher watcher = new TopicWatcher(config, List.of(input, config.kafka().predictionTopic()),
                    r -> onRecord(r, input, appended, latencies, withoutModel, firstWithModel));
                    KafkaProducer<byte[], byte[]> producer = stack.producer(config, "bench-producer")) {
                CorpusReplayer replayer = BenchRun.replayer(producer, config, streams, shape.chunkBytes,
                        RateLimit.bytesPerSecond(bytesPerSecond));
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread replay = BenchRun.replay(replayer, failure);
                SteadyState.awaitWhileRunning(job, () -> {
                    watcher.requireHealthy();
                    return firstWithModel.get() != 0;
                }, FIRST_MODEL_TIMEOUT, "prediction with a model");
                SteadyState.sleepWhileRunning(job, 1000L * warmupSeconds);
                long from = System.currentTimeMillis();
                SteadyState.sleepWhileRunning(job, 1000L * durationSeconds);
                long to = System.currentTimeMillis();
                replayer.stop();
                replay.join(10_000);
                if (failure.get() != null) {
                    throw new IllegalStateException("the producer failed: " + failure.get(), failure.get());
                }
                // the last records of the span get their predictions
                long drainUntil = System.currentTimeMillis() + 30_000;
                while (System.currentTimeMillis() < drainUntil && unanswered(appended, latencies, from, to) > 0) {
                    watcher.requireHealthy();
                    SteadyState.sleepWhileRunning(job, 200);
                }
                List<Long> measured = new ArrayList<>();
                // from the first prediction with a model: the warm-up's burst shows beside the measured span
                long first = firstWithModel.get();
                long[] worstBySpan = new long[(int) Math.max(1, (to - first) / (SPAN_SECONDS * 1000L))];
                long sent = 0;
                for (var e : appended.entrySet()) {
                    Long ms = latencies.get(e.getKey());
                    if (ms != null && e.getValue() >= first && e.getValue() < to) {
                        int span = (int) Math.min(worstBySpan.length - 1, (e.getValue() - first) / (SPAN_SECONDS * 1000L));
                        worstBySpan[span] = Math.max(worstBySpan[span], ms);
                    }
                    if (e.getValue() >= from && e.getValue() < to) {
                        sent++;
                        if (ms != null) {
                            measured.add(ms);
                        }
                    }
                }
                long noModel = withoutModel.stream().filter(k -> {
                    long at = appended.get(k);
                    return at >= from && at < to;
                }).count();
                return new Latencies(measured, sent, sent - measured.size(), noModel, worstBySpan);
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
    }

    /** The {@code p}-th percentile (0: the least, 100: the most) of {@code values}, nearest rank. */
    static long percentile(List<Long> values, double p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int index = (int) Math.ceil(p / 100 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static long unanswered(Map<String, Long> appended, Map<String, Long> latencies, long from, long to) {
        return appended.entrySet().stream()
                .filter(e -> e.getValue() >= from && e.getValue() < to && !latencies.containsKey(e.getKey()))
                .count();
    }

    /** Input: its append time by (stream, sequence number); a prediction: its latency, the first time only. */
    private static void onRecord(ConsumerRecord<byte[], byte[]> r, String inputTopic, Map<String, Long> appended,
            Map<String, Long> latencies, java.util.Set<String> withoutModel,
            AtomicLong firstWithModel) {
        try {
            if (r.topic().equals(inputTopic)) {
                TextEvent e = TextEvent.getDecoder().decode(r.value());
                appended.put(e.getStreamId() + "/" + e.getSequenceNumber(), r.timestamp());
                return;
            }
            Prediction p = Prediction.getDecoder().decode(r.value());
            if (p.getModelVersion() != null) {
                firstWithModel.compareAndSet(0, r.timestamp());
            }
            String key = p.getStreamId() + "/" + p.getSequenceNumber();
            Long in = appended.get(key);
            if (in != null && latencies.putIfAbsent(key, r.timestamp() - in) == null && p.getModelVersion() == null) {
                withoutModel.add(key);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
