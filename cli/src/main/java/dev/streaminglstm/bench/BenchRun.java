package dev.streaminglstm.bench;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.sandbox.EmbeddedStack;
import dev.streaminglstm.sandbox.SandboxLogging;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.CorpusReplayer;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * What every benchmark of the running system shares: a temporary run folder (log, model store, checkpoints) that
 * goes away at the end unless kept, the embedded stack on it with the in-JVM metric reporter, and the demo corpus
 * replayed into the input topic, all at once (pre-loaded) or at a steady rate.
 */
final class BenchRun implements AutoCloseable {
    private final Path dir;
    private final boolean keep;

    private BenchRun(Path dir, boolean keep) {
        this.dir = dir;
        this.keep = keep;
    }

    /** A new temporary run folder; the log of everything in this JVM goes to {@code bench.log} in it. */
    static BenchRun open(String name, boolean keep) throws IOException {
        Path dir = Files.createTempDirectory("streaming-lstm-bench-" + name + "-");
        SandboxLogging.toFile(dir.resolve("bench.log"));
        return new BenchRun(dir, keep);
    }

    Path dir() {
        return dir;
    }

    /** A new embedded stack in a sub-folder of the run folder. */
    EmbeddedStack stack(String name) throws IOException {
        return EmbeddedStack.start(Files.createDirectories(dir.resolve(name)), Map.of());
    }

    /** Job options for a benchmark's job: the in-JVM metric reporter, no restarts. */
    static EmbeddedStack.JobOptions job(String name) {
        return EmbeddedStack.JobOptions.named(name).with(InJvmMetrics.reporterSettings());
    }

    /**
     * Writes the demo corpus into the input topic as {@code streams} streams of {@code chunkBytes} chunks until
     * {@code bytes} text bytes are sent, and waits until the broker has them.
     *
     * @return the records sent
     */
    static long preload(EmbeddedStack stack, JobConfig config, int streams, int chunkBytes, long bytes)
            throws InterruptedException {
        try (KafkaProducer<byte[], byte[]> producer = stack.producer(config, "bench-preload")) {
            CorpusReplayer replayer = replayer(producer, config, streams, chunkBytes, RateLimit.unlimited());
            Thread thread = replay(replayer, new AtomicReference<>());
            while (thread.isAlive() && replayer.bytesSent() < bytes) {
                Thread.sleep(20);
            }
            replayer.stop();
            thread.join();
            producer.flush();
            return replayer.recordsSent();
        }
    }

    /**
     * Writes the first {@code records} records of the demo corpus as {@code streams} streams (one chunk of each
     * stream in turn) into the input topic, and waits until the broker has them.
     *
     * @return the records sent
     */
    static long preloadRecords(EmbeddedStack stack, JobConfig config, int streams, int chunkBytes, long records)
            throws InterruptedException {
        try (KafkaProducer<byte[], byte[]> producer = stack.producer(config, "bench-preload")) {
            CorpusReplayer replayer = replayer(producer, config, streams, chunkBytes, RateLimit.unlimited());
            replayer.stopAfterRecords(records);
            replayer.run();
            producer.flush();
            return replayer.recordsSent();
        }
    }

    /** A replayer of the demo corpus as {@code streams} streams, repeating it. */
    static CorpusReplayer replayer(KafkaProducer<byte[], byte[]> producer, JobConfig config, int streams,
            int chunkBytes, RateLimit rate) {
        return CorpusReplayer.builder(producer, config.kafka().inputTopic(), Corpus.europarl())
                .streams(streams)
                .chunkBytes(chunkBytes)
                .rate(rate)
                .repeat(true)
                .build();
    }

    /**
     * Input text bytes per second the job of {@code shape} takes in steady state from input pre-loaded into the topic
     * as {@code streams} streams, after a warm-up as long as {@code span}: the most it can keep up with.
     */
    double maximumInput(JobShape shape, int streams, Duration span) throws Exception {
        try (EmbeddedStack stack = stack("maximum")) {
            JobConfig config = stack.jobConfig(shape.jobFlags());
            stack.createTopics(config, Map.of());
            // at most ~40k B/s on two cores; a few windows per stream at least
            long bytes = Math.max(40_000L * (2 * span.toSeconds() + 60), 4L * streams * (shape.window + 1));
            long records = preload(stack, config, streams, shape.chunkBytes, bytes);
            EmbeddedStack.RunningJob job = stack.startJob(config,
                    shape.options("bench: maximum input rate"));
            try {
                return SteadyState.measure(job, span, span, records).tokensReceived();
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
    }

    /** Runs {@code replayer} on a daemon thread; its failure, if any, lands in {@code failure}. */
    static Thread replay(CorpusReplayer replayer, AtomicReference<Throwable> failure) {
        Thread thread = new Thread(() -> {
            try {
                replayer.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "bench-producer");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    /** Deletes the run folder, unless it is to be kept. */
    @Override
    public void close() {
        if (keep) {
            return;
        }
        RunFolders.delete(dir);
    }
}
