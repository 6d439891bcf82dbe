package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.store.S3Server;
import dev.streaminglstm.store.StoredModel;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The production path meeting real faults: the job jar on a standalone Flink cluster (a JobManager and a
 * TaskManager as separate JVMs, see {@link StandaloneFlinkCluster}) with ZooKeeper HA (Curator's TestingServer, a
 * real ZooKeeper server), checkpoints, HA metadata and the model store on S3 (s3proxy, {@link S3Server}, through
 * Flink's flink-s3-fs-hadoop plugin), Kafka in this JVM. Every run gets the same input ({@link TrainingInput}: eight
 * streams, document starts, replays the job must drop), sent once the job runs and at its pace (at most 40 chunks
 * sent and not yet predicted), and ends when the job has committed the end of its input and two more checkpoints,
 * and is cancelled; then:
 * <ul>
 *   <li>LATEST counts exactly the windows and tokens the input makes: none lost, none trained twice;</li>
 *   <li>every accepted chunk has a prediction, and every prediction's byte position is the stream's true one
 *       (a stream's inference state lost or reset would give a smaller one);</li>
 *   <li>the committed versions form one chain, each the parent of the next;</li>
 *   <li>in the deterministic configuration (parallelism 1, {@code --batch 1}, no flush timer: batches decided by
 *       the input alone), the final parameters equal those of the reference run without faults, bit for bit.</li>
 * </ul>
 * The reference run, the whole job on S3 with HA and no fault, is a test of its own. Every test here takes
 * minutes, so all carry the JUnit tag {@code faults} and run with {@code mvn -Pfaults} only (StandaloneClusterITCase
 * runs a job with checkpoints and models on S3 in the default suite). The fault runs inject a fault once 25%, 50%
 * and 75% of the input's chunks are sent and LATEST counts every window sent so far (a checkpoint holds them: each
 * restore has more to restore than the one before), right after sending the next records (in flight when the fault
 * hits); then they wait until the job has restored a checkpoint and completed another before sending more. Each run
 * prints its figures as a key=value line.
 */
@Tag("faults")
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class ClusterFaultsITCase {

    private static final Duration CLUSTER_START = Duration.ofMinutes(2);
    private static final Duration RECOVERY = Duration.ofMinutes(3);
    private static final Duration END = Duration.ofMinutes(4);
    private static final String BUCKET = S3Server.SHARED_BUCKET;
    private static final String RUNS = "s3://" + BUCKET + "/runs";
    private static final int WINDOW = 16;
    private static final TrainingInput INPUT = TrainingInput.generate(2026_12_04L, 8, 100);
    /** Where faults hit: fractions of the input's chunks sent. */
    private static final double[] FAULT_POINTS = {0.25, 0.5, 0.75};
    /** Records sent at a time. */
    private static final int LOT = 20;
    /** Accepted chunks sent but not yet predicted, at most, before the next lot: the input keeps the job's pace. */
    private static final int IN_FLIGHT = 40;

    private static final List<String> SHAPE = List.of("--window", Integer.toString(WINDOW), "--embed", "16",
            "--hidden", "32", "--seed", "5", "--checkpoint-interval-ms", "500", "--continuation-length", "4",
            "--top-k", "3", "--keep-versions", "1000", "--parallelism", "1", "--inference-parallelism", "1");
    /**
     * Batches decided by the input alone: a batch of one window is trained as soon as the window is complete, so
     * neither the flush before each checkpoint (which the job's main always does) nor a timer changes a batch.
     * A delta goes to the merger after every window, so that LATEST holds every trained window.
     */
    private static final List<String> DETERMINISTIC = with(SHAPE, "--batch", "1", "--flush-ms", "0",
            "--publish-every-windows", "1");
    /**
     * The job's default batching (up to 32 windows, trained when full, at the 200 ms flush timer and before each
     * checkpoint: batches depend on timing); a delta after every batch, so that LATEST holds every trained window.
     */
    private static final List<String> DEFAULT_BATCHING = with(SHAPE, "--publish-every-windows", "1");

    private static S3Server s3;
    private static TestingServer zookeeper;
    private static EmbeddedKafkaBroker kafka;
    private static StandaloneFlinkCluster flink;
    private static Outcome reference;

    @BeforeAll
    static void startServersAndCluster() throws Exception {
        s3 = S3Server.shared();
        zookeeper = new TestingServer(true);
        kafka = EmbeddedKafkaBroker.start();
        Map<String, String> settings = new TreeMap<>(s3.flinkSettings());
        settings.put("execution.checkpointing.storage", "filesystem");
        settings.put("execution.checkpointing.dir", "s3://" + BUCKET + "/checkpoints");
        settings.put("high-availability.type", "zookeeper");
        settings.put("high-availability.zookeeper.quorum", zookeeper.getConnectString());
        settings.put("high-availability.storageDir", "s3://" + BUCKET + "/ha");
        settings.put("high-availability.cluster-id", "cluster-faults-it");
        // a killed JobManager's leadership ends with its ZooKeeper session
        settings.put("high-availability.zookeeper.client.session-timeout", "10 s");
        settings.put("restart-strategy.type", "fixed-delay");
        settings.put("restart-strategy.fixed-delay.attempts", "1000");
        settings.put("restart-strategy.fixed-delay.delay", "1 s");
        // a killed TaskManager's heartbeats fail within seconds (heartbeat.rpc-failure-threshold of them)
        settings.put("heartbeat.interval", "2000");
        // each deployment of the job on a TaskManager leaves its classes in metaspace: with the default 256 MB a
        // TaskManager died of OutOfMemoryError: Metaspace at its seventh (see the report of issue 11)
        settings.put("taskmanager.memory.jvm-metaspace.size", "1g");
        flink = StandaloneFlinkCluster.start(Path.of(System.getProperty("flink.cluster.dir") + "-faults"),
                StandaloneFlinkCluster.classpathFromBuild(), settings,
                Path.of(System.getProperty(S3Server.PLUGINS_DIR_PROPERTY)), CLUSTER_START);
    }

    @AfterAll
    static void stopClusterAndServers() throws IOException {
        try {
            if (flink != null) {
                flink.close();
            }
        } finally {
            try {
                if (kafka != null) {
                    kafka.close();
                }
            } finally {
                if (zookeeper != null) {
                    zookeeper.close();
                }
            }
        }
    }

    /**
     * The whole job on S3 with HA and no fault: the reference of the deterministic runs. Checkpoints and HA
     * metadata are on S3, the model store's versions too, and the job trains every window once and predicts every
     * chunk.
     */
    @Test
    void aJobWithCheckpointsHaMetadataAndModelStoreOnS3TrainsEveryWindowOnceAndPredictsEveryChunk() throws Throwable {
        Outcome clean = reference();

        assertEveryWindowOnceAndEveryChunkPredicted(clean);
        assertThat(clean.checkpointObjects()).as("the job's checkpoint files on S3 while it ran")
                .anyMatch(key -> key.contains("/chk-") && key.endsWith("/_metadata"));
        assertThat(clean.haObjects()).as("HA metadata on S3 while the job ran: its job graph, its checkpoints")
                .anyMatch(key -> key.contains("submittedExecutionPlan"))
                .anyMatch(key -> key.contains("completedCheckpoint"));
        assertThat(s3.list(BUCKET, "runs/" + clean.name() + "/versions/")).as("model versions on S3").isNotEmpty();
    }

    @Test
    void threeTaskManagersKilledWithKillMinus9LeaveTheDeterministicRunBitForBitEqual() throws Throwable {
        Outcome killed = run("tm-kills-deterministic", DETERMINISTIC, this::killTaskManager);

        assertEveryWindowOnceAndEveryChunkPredicted(killed);
        assertEqualToReference(killed);
    }

    @Test
    void withDefaultBatchingThreeTaskManagerKillsTrainEveryWindowOnce() throws Throwable {
        Outcome killed = run("tm-kills-default", DEFAULT_BATCHING, this::killTaskManager);

        assertEveryWindowOnceAndEveryChunkPredicted(killed);
    }

    @Test
    void aJobManagerKilledUnderZooKeeperHaResumesTheJobFromItsLastCheckpointWithEveryStreamsState()
            throws Throwable {
        Outcome failedOver = run("jm-kills", DETERMINISTIC, this::killJobManager);

        assertEveryWindowOnceAndEveryChunkPredicted(failedOver);
        assertEqualToReference(failedOver);
    }

    @Test
    void anS3OutageDuringTrainingIsSurvivedWithNothingLostOrTrainedTwice() throws Throwable {
        Outcome survived = run("s3-outages", DETERMINISTIC, this::stopS3ForAFewSeconds);

        assertEveryWindowOnceAndEveryChunkPredicted(survived);
        assertEqualToReference(survived);
    }

    /** A fault injected into a running job; returns a line describing what happened. */
    @FunctionalInterface
    private interface Fault {
        String inject(JobRun run) throws IOException;
    }

    /** kill -9 of the TaskManager, a new one started at once; the job restores its last checkpoint on it. */
    private String killTaskManager(JobRun run) throws IOException {
        long at = System.currentTimeMillis();
        flink.killTaskManager();
        flink.startTaskManager(CLUSTER_START);
        JsonNode restored = run.awaitRecoverySince(at, RECOVERY);
        return "TaskManager killed; restored checkpoint " + restored.path("id").asLong() + " after "
                + (System.currentTimeMillis() - at) + " ms";
    }

    /**
     * kill -9 of the JobManager, a new one started on its ports: it wins the leadership once the old one's ZooKeeper
     * session has expired, recovers the job (same id) from ZooKeeper and S3 and restores its latest checkpoint.
     */
    private String killJobManager(JobRun run) throws IOException {
        ModelManifest before = run.latestManifest();
        long at = System.currentTimeMillis();
        flink.killJobManager();
        flink.startJobManager();
        JsonNode restored = run.awaitRecoverySince(at, RECOVERY);
        assertThat(restored.path("is_savepoint").asBoolean()).as("restored a checkpoint, not a savepoint").isFalse();
        run.await("a model version above " + before.getVersion() + " after the failover", RECOVERY,
                () -> run.latestManifest().getVersion() > before.getVersion());
        ModelManifest after = run.latestManifest();
        assertThat(after.getWindowsTrained()).as("windows counted after the failover").isGreaterThanOrEqualTo(
                before.getWindowsTrained());
        return "JobManager killed at version " + before.getVersion() + " (" + before.getWindowsTrained()
                + " windows); restored checkpoint " + restored.path("id").asLong() + "; version "
                + after.getVersion() + " (" + after.getWindowsTrained() + " windows) after "
                + (System.currentTimeMillis() - at) + " ms";
    }

    /**
     * The S3 server stopped (connections refused) until the job has felt it, a failed checkpoint or a restart, and
     * for at least 5 s; then it answers again, and the job completes a checkpoint after that.
     */
    private String stopS3ForAFewSeconds(JobRun run) throws IOException {
        long failedBefore = run.checkpointCounts().path("failed").asLong();
        long restartsBefore = run.restarts();
        long at = System.currentTimeMillis();
        s3.stop();
        try {
            run.await("the job feels the S3 outage", RECOVERY, () -> run.checkpointCounts().path("failed").asLong()
                    > failedBefore || run.restarts() > restartsBefore);
            long outage = System.currentTimeMillis() - at;
            JobRun.sleep(Duration.ofMillis(Math.max(0, 5000 - outage))); // the outage lasts a few seconds
        } finally {
            s3.restart();
        }
        long back = System.currentTimeMillis();
        run.await("a checkpoint completed after S3 is back", RECOVERY, () -> run.checkpointCounts().path("completed")
                .asLong() > 0 && completedSince(run, back));
        return "S3 stopped for " + (back - at) + " ms; failed checkpoints "
                + (run.checkpointCounts().path("failed").asLong() - failedBefore) + ", restarts "
                + (run.restarts() - restartsBefore) + "; next checkpoint after " + (System.currentTimeMillis() - back)
                + " ms";
    }

    private static boolean completedSince(JobRun run, long epochMillis) throws IOException {
        JsonNode completed = flink.rest("/jobs/" + run.job() + "/checkpoints").path("latest").path("completed");
        return completed.path("latest_ack_timestamp").asLong(0) >= epochMillis;
    }

    /** What a run ended with, and the faults it went through. */
    private record Outcome(String name, String job, StoredModel model, List<ModelManifest> versions,
            List<String> faults, long restarts, long predictionRecords, long unpredicted, List<String> wrongPredictions,
            List<String> checkpointObjects, List<String> haObjects, long metaspaceBytes, long seconds) {}

    private static synchronized Outcome reference() throws Throwable {
        if (reference == null) {
            reference = run("reference", DETERMINISTIC, null);
        }
        return reference;
    }

    /**
     * Submits a job with {@code flags}, sends it the input (paced, when there are faults), injects {@code fault}
     * (none if null) at each of {@link #FAULT_POINTS}, and waits for the end; prints the run's figures.
     */
    private static Outcome run(String name, List<String> flags, Fault fault) throws Throwable {
        long started = System.nanoTime();
        Path jobJar = Path.of(System.getProperty("job.jar"));
        long windows = INPUT.windows(WINDOW);
        List<TextEvent> records = INPUT.records();
        List<String> faults = new ArrayList<>();
        try (JobRun run = JobRun.submit(flink, kafka, jobJar, RUNS, name, flags)) {
            run.awaitRunning(RECOVERY);
            int lot = fault == null ? records.size() : LOT;
            for (int sent = 0; sent < records.size(); ) {
                int next = Math.min(records.size(), sent + lot);
                run.send(records.subList(sent, next));
                sent = next;
                if (fault == null) {
                    continue;
                }
                run.awaitPredictions(INPUT, INPUT.acceptedAmongFirst(sent) - IN_FLIGHT, RECOVERY);
                if (faults.size() < FAULT_POINTS.length && INPUT.acceptedAmongFirst(sent)
                        >= FAULT_POINTS[faults.size()] * INPUT.bytePositions().size()) {
                    long trained = INPUT.windows(WINDOW, sent);
                    run.await("LATEST of " + name + " counts the " + trained + " windows sent", RECOVERY,
                            () -> run.windowsPublished() >= trained);
                    next = Math.min(records.size(), sent + lot);
                    run.send(records.subList(sent, next)); // in flight when the fault hits
                    faults.add(String.format(Locale.ROOT, "at %d of %d records, LATEST at %d windows: %s", next,
                            records.size(), trained, fault.inject(run)));
                    sent = next;
                }
            }
            if (fault != null) {
                assertThat(faults).as("faults injected while the input was sent").hasSize(FAULT_POINTS.length);
            }
            StoredModel end = run.awaitEnd(INPUT, windows, END);
            Outcome outcome = new Outcome(name, run.job().toHexString(), end, run.versions(), faults, run.restarts(),
                    run.predictionRecords(), run.unpredicted(INPUT), List.copyOf(run.wrongPredictions()),
                    s3.list(BUCKET, "checkpoints/" + run.job() + "/"), s3.list(BUCKET, "ha/"),
                    flink.taskManagerMetric("Status.JVM.Memory.Metaspace.Used"),
                    (System.nanoTime() - started) / 1_000_000_000);
            printFigures(outcome);
            return outcome;
        } catch (Throwable failure) {
            String tails = flink.logTails(80);
            System.err.println(tails);
            failure.addSuppressed(new AssertionError("the ends of the cluster's logs:\n" + tails));
            throw failure;
        }
    }

    private static void assertEveryWindowOnceAndEveryChunkPredicted(Outcome outcome) {
        ModelManifest last = outcome.model().manifest();
        assertThat(last.getWindowsTrained()).as("windows trained, as the input makes them")
                .isEqualTo(INPUT.windows(WINDOW));
        assertThat(last.getTokensTrained()).as("tokens trained").isEqualTo(INPUT.tokens(WINDOW));
        assertThat(outcome.unpredicted()).as("accepted chunks without a prediction").isZero();
        assertThat(outcome.wrongPredictions()).as("predictions at a wrong byte position, or of no chunk").isEmpty();
        List<ModelManifest> versions = outcome.versions();
        assertThat(versions).last().extracting(ModelManifest::getVersion).isEqualTo(last.getVersion());
        for (int i = 1; i < versions.size(); i++) {
            ModelManifest parent = versions.get(i - 1);
            ModelManifest child = versions.get(i);
            assertThat(child.getParentVersion()).as("parent of version %d", child.getVersion())
                    .isEqualTo(parent.getVersion());
            assertThat(child.getWindowsTrained()).as("windows of version %d", child.getVersion())
                    .isGreaterThanOrEqualTo(parent.getWindowsTrained());
        }
    }

    private static void assertEqualToReference(Outcome outcome) throws Throwable {
        Outcome clean = reference();
        ModelManifest expected = clean.model().manifest();
        ModelManifest actual = outcome.model().manifest();
        assertThat(actual.getSkippedSteps()).isEqualTo(expected.getSkippedSteps());
        assertThat(actual.getParametersChecksum()).as("SHA-256 of the final parameters")
                .isEqualTo(expected.getParametersChecksum());
        assertThat(outcome.model().parameters()).as("final parameters, bit for bit")
                .isEqualTo(clean.model().parameters());
    }

    private static void printFigures(Outcome o) {
        ModelManifest last = o.model().manifest();
        o.faults().forEach(fault -> System.out.println(o.name() + ": " + fault));
        System.out.printf(Locale.ROOT, "run=%s faults_injected=%d faults_survived=%d restarts=%d records_sent=%d "
                        + "chunks_accepted=%d records_lost=%d windows=%d/%d tokens=%d/%d prediction_records=%d "
                        + "wrong_predictions=%d versions=%d latest=%d tm_metaspace_mb=%d seconds=%d%n",
                o.name(), o.faults().size(), o.faults().size(), o.restarts(), INPUT.records().size(),
                INPUT.bytePositions().size(), o.unpredicted(), last.getWindowsTrained(), INPUT.windows(WINDOW),
                last.getTokensTrained(), INPUT.tokens(WINDOW), o.predictionRecords(), o.wrongPredictions().size(),
                o.versions().size(), last.getVersion(), o.metaspaceBytes() >> 20, o.seconds());
    }

    private static List<String> with(List<String> flags, String... more) {
        List<String> all = new ArrayList<>(flags);
        all.addAll(List.of(more));
        return List.copyOf(all);
    }
}
