package dev.streaminglstm.sandbox;

import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.runtime.minicluster.MiniClusterJobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded stack the sandbox and the benchmarks run on: a real Kafka broker (KRaft) in this JVM, and a Flink
 * MiniCluster running the production job graph ({@link StreamingLstmJob#buildOnKafka}) with checkpoints and the
 * {@code file://} model store under one run folder. {@link #close()} cancels what still runs and stops both.
 */
public final class EmbeddedStack implements AutoCloseable {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /** The in-flight data buffer debloating aims at, as time to process it. */
    public static final Duration DEBLOAT_TARGET = Duration.ofMillis(200);

    private final Path runDir;
    private final EmbeddedKafkaBroker broker;
    private final List<MiniCluster> clusters = new ArrayList<>();
    private final List<TrainingFirst> priorities = new ArrayList<>();

    private EmbeddedStack(Path runDir, EmbeddedKafkaBroker broker) {
        this.runDir = runDir;
        this.broker = broker;
    }

    /**
     * Starts a broker with {@code brokerSettings} over the single-node ones. Kafka's storage formatter prints a line
     * to System.out, which would land in a live view or a benchmark's table: it goes nowhere.
     */
    public static EmbeddedStack start(Path runDir, Map<String, String> brokerSettings) {
        PrintStream stdout = System.out;
        System.setOut(new PrintStream(OutputStream.nullOutputStream()));
        try {
            return new EmbeddedStack(runDir, EmbeddedKafkaBroker.start(brokerSettings));
        } finally {
            System.setOut(stdout);
        }
    }

    /** A stack on a broker started elsewhere (placed on a known address, say); {@link #close()} stops it. */
    public static EmbeddedStack on(Path runDir, EmbeddedKafkaBroker broker) {
        return new EmbeddedStack(runDir, broker);
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    /** The run folder: model store, checkpoints. */
    public Path runDir() {
        return runDir;
    }

    /** The URI of the model store under the run folder. */
    public String storeUri() {
        return runDir.resolve("store").toUri().toString();
    }

    /** The job's configuration on this stack: {@code jobFlags} with this broker and store. */
    public JobConfig jobConfig(List<String> jobFlags) {
        List<String> flags = new ArrayList<>(List.of("--bootstrap-servers", broker.bootstrapServers(),
                "--store", storeUri()));
        flags.addAll(jobFlags);
        return JobConfig.parse(flags.toArray(String[]::new));
    }

    /** Creates the job's three topics, one partition each, with {@code topicSettings}. */
    public void createTopics(JobConfig config, Map<String, String> topicSettings) {
        KafkaSettings kafka = config.kafka();
        broker.createTopics(1, topicSettings, kafka.inputTopic(), kafka.predictionTopic(), kafka.deadLetterTopic());
    }

    /**
     * What a job on this stack runs with, besides the job's own configuration.
     *
     * @param earlyCheckpoints how long to checkpoint back to back from the job's first checkpoint, taken as soon as
     *     every task runs ({@link EarlyCheckpoints}); zero: Flink's periodic checkpoints only
     * @param trainingFirst every thread of this JVM but training's at a higher nice from the moment training runs
     *     ({@link TrainingFirst}); it stays so after the job
     */
    public record JobOptions(String name, int restartAttempts, String restoreFrom, Configuration extra,
            Duration earlyCheckpoints, boolean trainingFirst) {
        /** No restarts, a fresh start, periodic checkpoints only, every thread at its nice. */
        public static JobOptions named(String name) {
            return new JobOptions(name, 0, null, new Configuration(), Duration.ZERO, false);
        }

        public JobOptions restartingUpTo(int attempts) {
            return new JobOptions(name, attempts, restoreFrom, extra, earlyCheckpoints, trainingFirst);
        }

        /** Restores the job's state from a savepoint or retained checkpoint. */
        public JobOptions restoringFrom(String path) {
            return new JobOptions(name, restartAttempts, path, extra, earlyCheckpoints, trainingFirst);
        }

        public JobOptions with(Configuration more) {
            Configuration all = new Configuration(extra);
            all.addAll(more);
            return new JobOptions(name, restartAttempts, restoreFrom, all, earlyCheckpoints, trainingFirst);
        }

        public JobOptions checkpointingEarlyFor(Duration span) {
            return new JobOptions(name, restartAttempts, restoreFrom, extra, span, trainingFirst);
        }

        public JobOptions trainingFirst(boolean first) {
            return new JobOptions(name, restartAttempts, restoreFrom, extra, earlyCheckpoints, first);
        }
    }

    /** A job submitted to its own MiniCluster. */
    public record RunningJob(JobClient client, MiniCluster cluster) {
        public JobID id() {
            return client.getJobID();
        }
    }

    /**
     * Submits the job of {@code config} to a new MiniCluster (one TaskManager with a slot per subtask of the widest
     * operator, REST on a free port, buffer debloating to {@link #DEBLOAT_TARGET}), checkpointing into the run
     * folder.
     */
    public RunningJob startJob(JobConfig config, JobOptions options) throws Exception {
        Configuration flink = new Configuration();
        flink.set(TaskManagerOptions.NUM_TASK_SLOTS,
                Math.max(config.training().parallelism(), config.inference().parallelism()));
        flink.set(RestOptions.BIND_PORT, "0");
        flink.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
        flink.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, runDir.resolve("checkpoints").toUri().toString());
        // 200 ms of data in flight, not hundreds of kB a channel. Without debloating a checkpoint barrier waits behind
        // every queued record (minutes of work behind a pre-loaded backlog: no version, inference without a model),
        // and inference runs that far ahead of training: bench quality at B 8, T 32 scored 91% of the bytes with a
        // model, 97.7% with it (README, "Serving sooner"); 200 ms rather than Flink's 1 s scores each byte with a
        // newer version still (README, "200 ms in flight"). Options given with the job may change both.
        flink.set(TaskManagerOptions.BUFFER_DEBLOAT_ENABLED, true);
        flink.set(TaskManagerOptions.BUFFER_DEBLOAT_TARGET, DEBLOAT_TARGET);
        if (options.restartAttempts() > 0) {
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, options.restartAttempts());
            flink.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
        } else {
            flink.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        }
        if (options.restoreFrom() != null) {
            flink.set(StateRecoveryOptions.SAVEPOINT_PATH, options.restoreFrom());
        }
        flink.addAll(options.extra());

        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(flink)
                .setNumTaskManagers(1)
                .setNumSlotsPerTaskManager(flink.get(TaskManagerOptions.NUM_TASK_SLOTS))
                .build());
        cluster.start();
        clusters.add(cluster);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, flink);
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        StreamGraph graph = env.getStreamGraph();
        graph.setJobName(options.name());
        JobID id = cluster.submitJob(graph).get(1, TimeUnit.MINUTES).getJobID();
        if (!options.earlyCheckpoints().isZero()) {
            EarlyCheckpoints.start(cluster, id, options.earlyCheckpoints());
        }
        if (options.trainingFirst()) {
            priorities.add(TrainingFirst.start());
        }
        return new RunningJob(new MiniClusterJobClient(id, cluster, EmbeddedStack.class.getClassLoader(),
                MiniClusterJobClient.JobFinalizationBehavior.NOTHING), cluster);
    }

    /** Cancels the job if it still runs and waits until it ended; its MiniCluster stays up for its figures. */
    public static void cancel(RunningJob job) {
        try {
            if (!job.client().getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
                job.client().cancel().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            log().debug("cancelling job {}: {}", job.id(), e.toString());
        }
        try {
            job.client().getJobExecutionResult().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            log().debug("job {} ended: {}", job.id(), e.toString());
        }
    }

    /** A producer of raw keys and values to this broker, with {@code config}'s client settings. */
    public KafkaProducer<byte[], byte[]> producer(JobConfig config, String clientId) {
        Properties properties = config.kafka().clientConfig();
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        // What reaches the topic is then a prefix of what was sent, in order (ReplayProgress relies on it).
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        properties.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Stops every MiniCluster this stack started (cancelling their jobs), then the broker. */
    @Override
    public void close() {
        priorities.forEach(TrainingFirst::close);
        priorities.clear();
        for (MiniCluster cluster : clusters) {
            try {
                cluster.closeAsync().get(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (Exception e) {
                log().debug("stopping a MiniCluster: {}", e.toString());
            }
        }
        clusters.clear();
        broker.close();
    }

    /** Looked up when first needed, so that starting a stack does not start logging (see {@link SandboxLogging}). */
    private static Logger log() {
        return LoggerFactory.getLogger(EmbeddedStack.class);
    }
}
