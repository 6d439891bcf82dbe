package dev.streaminglstm.sandbox;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.sandbox.corpus.CorpusReplayer;
import dev.streaminglstm.schema.TextEvent;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.metrics.prometheus.BoundPrometheusReporterFactory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;

/**
 * The whole streaming-lstm system in one JVM, for trying it out: a real Kafka broker (KRaft), a Flink MiniCluster
 * running the production job graph (an {@link EmbeddedStack}) with its Kafka source and sinks, a
 * {@code file://} model store, and a producer replaying a corpus as many concurrent streams. {@link #run()} goes on
 * until the settings' duration has passed or {@link #stop()} is called (from a shutdown hook, say), showing the
 * figures on a {@link SandboxView} meanwhile, and then ends everything cleanly and returns a {@link SandboxSummary}.
 *
 * <p>Each run gets its own folder {@code run-<time>} in the work dir, holding the model store ({@code store/}), the
 * Flink checkpoints, the broker's data ({@code kafka/}) and the addresses it listens on ({@value
 * SandboxEndpoints#FILE}); the job numbers model versions from 1, so a store cannot be shared between runs of a
 * fresh broker. At the end the producer stops first, then the job is cancelled: the summary reports the newest
 * version published at a completed checkpoint, and what was trained after it is not counted. The checkpoints and
 * the broker's data stay, so that {@link #resume} can go on with a run that was stopped, or killed.
 *
 * <p>The broker, the Flink web UI and REST API, and a Prometheus endpoint with the job's metrics (Flink's Prometheus
 * reporter) listen where {@link SandboxEndpoints} says: on the loopback interface unless told otherwise.
 */
public final class Sandbox {

    private static final String BROKER_DATA = "kafka";
    private static final DateTimeFormatter RUN_NAME = DateTimeFormatter.ofPattern("'run-'yyyyMMdd-HHmmss");
    private static final int SHOWN_STREAMS = 4;
    private static final Duration CATCH_UP_TIMEOUT = Duration.ofSeconds(5);
    /** Longest the sandbox's producer may take to send what it holds when the sandbox stops. */
    private static final Duration PRODUCER_CLOSE_TIMEOUT = Duration.ofSeconds(10);
    private static final int RESTART_ATTEMPTS = 3;
    private static final String JOB_NAME = "streaming-lstm";
    private static final String METRICS_REPORTER = "metrics.reporter.prom.";

    private final SandboxSettings settings;
    private final SandboxView view;
    private final SandboxEndpoints endpoints;
    private final Path runDir;
    private final Optional<Path> checkpoint;
    private final AtomicBoolean started = new AtomicBoolean();
    private final CountDownLatch stopRequested = new CountDownLatch(1);

    /**
     * Prepares a new run: claims its ports, then creates its folder in the work dir; nothing starts before
     * {@link #run()}.
     *
     * @throws SandboxException naming the flag of a port that is taken
     */
    public Sandbox(SandboxSettings settings, SandboxView view) throws IOException, SandboxException {
        this.settings = settings;
        this.view = view;
        this.endpoints = settings.endpoints().claim();
        this.runDir = createRunDir(settings.workDir());
        this.checkpoint = Optional.empty();
    }

    private Sandbox(SandboxSettings settings, SandboxView view, Path runDir, Path checkpoint)
            throws SandboxException {
        this.settings = settings;
        this.view = view;
        this.endpoints = settings.endpoints().claim();
        this.runDir = runDir.toAbsolutePath();
        this.checkpoint = Optional.of(checkpoint);
    }

    /**
     * Prepares to go on with the run in {@code runDir}, stopped or killed: the job restores the run's last complete
     * checkpoint (model versions, each stream's state, the input offsets), the broker opens the run's data again, and
     * the producer goes on with the replay where the input topic ends. The settings must be the run's own.
     *
     * @throws SandboxException if the folder holds no complete checkpoint, or a port is taken
     */
    public static Sandbox resume(SandboxSettings settings, Path runDir, SandboxView view) throws SandboxException {
        Optional<Path> checkpoint;
        try {
            checkpoint = RetainedCheckpoints.latest(runDir.resolve("checkpoints"));
        } catch (IOException e) {
            throw new SandboxException("--resume: cannot read " + runDir.resolve("checkpoints") + ": " + e);
        }
        if (checkpoint.isEmpty() || !Files.isDirectory(runDir.resolve(BROKER_DATA))) {
            throw new SandboxException("--resume: " + runDir + " holds no complete checkpoint of a sandbox run "
                    + "(checkpoints/*/chk-*/_metadata and kafka/); a run stopped before its first checkpoint cannot "
                    + "go on");
        }
        return new Sandbox(settings, view, runDir, checkpoint.get());
    }

    /**
     * The job's configuration for this sandbox: its job flags with {@code bootstrapServers} and {@code store}.
     *
     * @throws dev.streaminglstm.job.config.ConfigException if a job flag is wrong (one line, naming the flag)
     */
    public static JobConfig jobConfig(SandboxSettings settings, String bootstrapServers, String store) {
        List<String> flags = new ArrayList<>(List.of("--bootstrap-servers", bootstrapServers, "--store", store));
        flags.addAll(settings.jobFlags());
        return JobConfig.parse(flags.toArray(String[]::new));
    }

    /** This run's folder: model store and checkpoints (and the command's log). */
    public Path runDir() {
        return runDir;
    }

    /** Where this run listens, its ports claimed. */
    public SandboxEndpoints endpoints() {
        return endpoints;
    }

    /** The checkpoint this run restores, for a resumed run. */
    public Optional<Path> restoredCheckpoint() {
        return checkpoint;
    }

    /** The URI of this run's model store. */
    public String storeUri() {
        return runDir.resolve("store").toUri().toString();
    }

    /** Makes {@link #run()} end soon, as if its duration had passed; any thread may call it, any number of times. */
    public void stop() {
        stopRequested.countDown();
    }

    /**
     * Starts everything, runs until the duration has passed or {@link #stop()}, stops everything and returns what
     * happened. Runs once.
     *
     * @throws SandboxException if a part failed (the job after its restarts, the producer, the monitor)
     */
    public SandboxSummary run() throws Exception {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("a sandbox runs once");
        }
        view.note("starting a Kafka broker (KRaft) in this JVM on " + endpoints.kafka());
        try (EmbeddedStack stack = EmbeddedStack.on(runDir, startBroker())) {
            JobConfig config = jobConfig(settings, stack.broker().bootstrapServers(), storeUri());
            // One partition each: ReplayProgress relies on it (a resumed run keeps the topics it has).
            stack.createTopics(config, Map.of());
            long replayed = checkpoint.isPresent() ? ReplayProgress.recordsIn(config.kafka().clientConfig(),
                    config.kafka().inputTopic()) : 0;
            view.note("starting the job on a Flink MiniCluster: " + config.model().config().hiddenSize()
                    + " hidden, window " + config.training().window() + ", batch " + config.training().batch()
                    + ", checkpoints every " + span(config.state().checkpointIntervalMs())
                    + (settings.earlyCheckpoints().isZero() ? ""
                            : " (back to back for the first " + span(settings.earlyCheckpoints().toMillis()) + ")")
                    + checkpoint.map(c -> "; restoring checkpoint " + c.getFileName()).orElse("")
                    + (settings.trainingFirst() ? "; " + TrainingFirst.DESCRIPTION : ""));
            EmbeddedStack.RunningJob job = stack.startJob(config, jobOptions());
            try {
                endpoints.write(runDir);
                return runWith(config, job, stack, replayed);
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
    }

    /** A span as the start note gives it: whole seconds as {@code 5 s}, else {@code 500 ms}. */
    private static String span(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    private SandboxSummary runWith(JobConfig config, EmbeddedStack.RunningJob job, EmbeddedStack stack,
            long replayed) throws Exception {
        List<String> shown = new ArrayList<>();
        for (int i = 0; i < Math.min(SHOWN_STREAMS, settings.streams()); i++) {
            shown.add("doc-" + i);
        }
        KafkaProducer<byte[], byte[]> kafkaProducer = stack.producer(config, "sandbox-producer");
        try (SandboxMonitor monitor = new SandboxMonitor(config, shown, checkpoint.isPresent())) {
            InFlightLimitedProducer<byte[], byte[]> producer =
                    new InFlightLimitedProducer<>(kafkaProducer, monitor::answered, settings.maxChunksInFlight());
            CorpusReplayer replayer = CorpusReplayer.builder(producer, config.kafka().inputTopic(), settings.corpus())
                    .streams(settings.streams())
                    .chunkBytes(settings.chunkBytes())
                    .rate(settings.rate())
                    .repeat(settings.passes() == 0)
                    .passes(Math.max(1, settings.passes()))
                    .skip(replayed)
                    .indexHeader(ReplayProgress.HEADER)
                    .values(config.kafka().valueFormat().encoder(TextEvent.class, config.kafka().inputTopic()))
                    .build();
            AtomicReference<Throwable> replayFailure = new AtomicReference<>();
            Thread replay = new Thread(() -> {
                try {
                    replayer.run();
                } catch (Throwable e) {
                    replayFailure.set(e);
                }
            }, "sandbox-producer");
            replay.setDaemon(true);
            view.note("replaying " + settings.corpus().name() + " as " + settings.streams() + " streams"
                    + (replayed > 0 ? " from record " + replayed + ", where the input topic ends" : "") + "; "
                    + settings.duration().map(d -> "running for " + LiveView.clock(d)).orElse("Ctrl-C stops"));

            long startNanos = System.nanoTime();
            replay.start();
            String failure = watch(config, job.client(), monitor, replayer, producer, replay, replayFailure, startNanos);
            Duration ranFor = Duration.ofNanos(System.nanoTime() - startNanos);

            view.note(failure == null ? "stopping: the producer, then the job"
                    : "stopping after a failure: " + failure);
            view.stopping();
            replayer.stop();
            producer.release();
            replay.join(TimeUnit.SECONDS.toMillis(10));
            EmbeddedStack.cancel(job);
            monitor.finish(CATCH_UP_TIMEOUT);
            SandboxStatus last = monitor.status(ranFor, settings.streams(), replayer.bytesSent(),
                    replayer.recordsSent(), producer.inFlight());
            view.show(last);
            if (failure != null) {
                throw new SandboxException(failure + " (log and checkpoints in " + runDir + ")");
            }
            return SandboxSummary.of(last, runDir);
        } finally {
            // bounded: close() waits without end for records a broker that lost its log directory never takes
            kafkaProducer.close(PRODUCER_CLOSE_TIMEOUT);
        }
    }

    /**
     * Shows the figures every refresh until the duration has passed, {@link #stop()}, a run of a few passes is
     * complete, or a part failed; returns why it failed, or null.
     */
    private String watch(JobConfig config, JobClient job, SandboxMonitor monitor, CorpusReplayer replayer,
            InFlightLimitedProducer<byte[], byte[]> producer, Thread replay, AtomicReference<Throwable> replayFailure,
            long startNanos) throws Exception {
        long undecodableShown = 0;
        try (Completion completion = new Completion(config)) {
            while (true) {
                Duration elapsed = Duration.ofNanos(System.nanoTime() - startNanos);
                SandboxStatus status = monitor.status(elapsed, settings.streams(), replayer.bytesSent(),
                        replayer.recordsSent(), producer.inFlight());
                view.show(status);
                if (monitor.undecodable() > undecodableShown) {
                    undecodableShown = monitor.undecodable();
                    view.note("passed over " + undecodableShown + " records that are not the job's TextEvents or "
                            + "Predictions (the job sends bad input to the dead-letter topic, with the reason)");
                }
                String failure = failure(replay, replayFailure, monitor, job);
                if (failure != null || settings.duration().map(d -> elapsed.compareTo(d) >= 0).orElse(false)
                        || completion.done(replay, status)) {
                    return failure;
                }
                long waitMs = settings.refresh().toMillis();
                if (settings.duration().isPresent()) {
                    waitMs = Math.min(waitMs, Math.max(1, settings.duration().get().minus(elapsed).toMillis()));
                }
                if (stopRequested.await(waitMs, TimeUnit.MILLISECONDS)) {
                    return null;
                }
            }
        }
    }

    /**
     * When a run of a few passes is complete: the producer has sent every pass, the job has answered every chunk, a
     * checkpoint taken after the job read the whole input has completed (the job commits its input offsets to its
     * consumer group at each completed checkpoint: once they reach the topic's end, every operator has processed
     * all of it, and the merger published what the training sent at that checkpoint), and the newest model version
     * has stayed the same for two checkpoint intervals (at least 3 s) since.
     */
    private final class Completion implements AutoCloseable {
        private final JobConfig config;
        private final long quietNanos;
        private Admin admin;
        private long tokens = -1;
        private long sinceNanos;

        Completion(JobConfig config) {
            this.config = config;
            this.quietNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(3000, 2 * config.state().checkpointIntervalMs()));
        }

        boolean done(Thread replay, SandboxStatus s) throws Exception {
            long now = System.nanoTime();
            if (settings.passes() == 0 || replay.isAlive() || s.predictions() + s.noModel() < s.chunksSent()
                    || !inputCommitted() || s.tokensTrained() != tokens) {
                tokens = s.tokensTrained();
                sinceNanos = now;
                return false;
            }
            return now - sinceNanos >= quietNanos;
        }

        /** Whether the job's committed offsets have reached the end of every input partition. */
        private boolean inputCommitted() throws Exception {
            if (admin == null) {
                admin = Admin.create(config.kafka().clientConfig());
            }
            String topic = config.kafka().inputTopic();
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
                    .forEach(p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(config.kafka().groupId())
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            for (var end : admin.listOffsets(ends).all().get(10, TimeUnit.SECONDS).entrySet()) {
                OffsetAndMetadata at = committed.get(end.getKey());
                if (end.getValue().offset() > 0 && (at == null || at.offset() < end.getValue().offset())) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public void close() {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
        }
    }

    /** Why the run must end now, or null while all is well. */
    private String failure(Thread replay, AtomicReference<Throwable> replayFailure, SandboxMonitor monitor,
            JobClient job) {
        if (replayFailure.get() != null) {
            return "the producer failed: " + replayFailure.get().getMessage();
        }
        if (!replay.isAlive() && settings.passes() == 0) {
            return "the producer ended";
        }
        if (monitor.failure().isPresent()) {
            return "the monitor failed: " + monitor.failure().get().getMessage();
        }
        JobStatus status;
        try {
            status = job.getJobStatus().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            return "cannot get the job's status: " + e;
        }
        if (status.isGloballyTerminalState()) {
            return "the job ended " + status + jobFailure(job);
        }
        return null;
    }

    private static String jobFailure(JobClient job) {
        try {
            job.getJobExecutionResult().get(10, TimeUnit.SECONDS);
            return "";
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            return ": " + root;
        }
    }

    /**
     * Starts the broker on its endpoint, with its data in the run folder. Kafka's classes may print to System.out,
     * which would land in the view.
     */
    private EmbeddedKafkaBroker startBroker() throws SandboxException {
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            return EmbeddedKafkaBroker.startOn(endpoints.address(), endpoints.kafkaPort(),
                    runDir.resolve(BROKER_DATA));
        } catch (IllegalStateException e) {
            // Taken since claimed, or the run folder's data held by another sandbox still running on it.
            boolean taken = String.valueOf(e.getMessage()).contains("Address already in use");
            throw new SandboxException((taken ? SandboxEndpoints.KAFKA_FLAG + ": " : "") + e.getMessage());
        } finally {
            System.setOut(stdout);
        }
    }

    /**
     * The job's MiniCluster: its web UI and REST API and its Prometheus metrics on the endpoints, checkpoints kept
     * when the job is cancelled, the job restored from {@link #checkpoint} if there is one.
     */
    private EmbeddedStack.JobOptions jobOptions() {
        Configuration flink = new Configuration();
        flink.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        String address = endpoints.address().getHostAddress();
        flink.set(RestOptions.BIND_ADDRESS, address);
        flink.set(RestOptions.BIND_PORT, Integer.toString(endpoints.webPort()));
        flink.set(JobManagerOptions.BIND_HOST, address);
        flink.set(TaskManagerOptions.BIND_HOST, address);
        flink.setString(METRICS_REPORTER + "factory.class", BoundPrometheusReporterFactory.class.getName());
        flink.setString(METRICS_REPORTER + BoundPrometheusReporterFactory.HOST, address);
        flink.setString(METRICS_REPORTER + BoundPrometheusReporterFactory.PORT,
                Integer.toString(endpoints.metricsPort()));
        EmbeddedStack.JobOptions options = EmbeddedStack.JobOptions.named(JOB_NAME).restartingUpTo(RESTART_ATTEMPTS)
                .with(flink).checkpointingEarlyFor(settings.earlyCheckpoints())
                .trainingFirst(settings.trainingFirst());
        return checkpoint.map(c -> options.restoringFrom(c.toUri().toString())).orElse(options);
    }

    private static Path createRunDir(Path workDir) throws IOException {
        Files.createDirectories(workDir);
        String name = LocalDateTime.now().format(RUN_NAME);
        for (int attempt = 1; ; attempt++) {
            Path dir = workDir.resolve(attempt == 1 ? name : name + "-" + attempt);
            try {
                return Files.createDirectory(dir).toAbsolutePath();
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw e;
                }
            }
        }
    }
}
