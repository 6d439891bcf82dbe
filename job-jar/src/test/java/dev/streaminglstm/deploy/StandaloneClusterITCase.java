package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.Publication;
import dev.streaminglstm.store.S3Server;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.client.deployment.StandaloneClusterId;
import org.apache.flink.client.program.rest.RestClusterClient;
import org.apache.flink.runtime.clusterframework.ApplicationStatus;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job jar as a cluster gets it: {@code target/streaming-lstm-job-VERSION.jar} is submitted with
 * {@code flink run} (Flink's CLI in a JVM of its own) to a real standalone Flink 2.2 session cluster (a
 * JobManager and a TaskManager as separate JVM processes, see {@link StandaloneFlinkCluster}) whose class path
 * holds Flink and log4j only, as does the CLI's: the job's classes, the Kafka connector, Avro and ND4J with its
 * natives can come from the job jar alone (main class from its manifest). The test follows and cancels the job
 * through Flink's REST client. Text streams go in through an in-JVM Kafka broker; the test waits until every stream
 * gets predictions with status OK from a model version the job trained and published on the TaskManager. The
 * cluster keeps its checkpoints on S3 (s3proxy in this JVM, {@link S3Server}, reached through Flink's
 * flink-s3-fs-hadoop plugin as a cluster's {@code plugins/} has it), and so does this job its model store: the
 * checkpoints it completed and the versions it served are found there.
 *
 * <p>A second test takes a job through its life with {@code deploy/scripts} (curl and jq against the REST API, as
 * on an operator's machine): submit, savepoint (the job runs on), stop with a savepoint, resume from it, rescale
 * from one subtask to two; after each start the job must have restored the savepoint it was given and predict on,
 * and a replayed old record must be dropped as a duplicate by the restored per-stream state.
 *
 * <p>The cluster's logs stay in {@code target/standalone-cluster/log}; their ends are printed when a test fails.
 */
class StandaloneClusterITCase {

    private static final Duration CLUSTER_START = Duration.ofSeconds(90);
    private static final Duration PATIENCE = Duration.ofSeconds(120);
    private static final List<String> STREAMS = List.of("markets", "weather", "kitchen");
    private static final List<String> SENTENCES = List.of("The market opened higher today. ",
            "Rain is expected in the north. ", "Mix the flour with the butter. ", "Serve it warm. ");
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_750_000_000_000L);
    /** Jars that must reach the cluster only inside the job jar. */
    private static final Pattern JOB_DEPENDENCY = Pattern.compile(
            "(flink-job|lstm-core|model-store|proto-schemas|nd4j.*|javacpp|openblas|kafka.*|avro|flink-avro|"
                    + "flink-connector-kafka|picocli)-[0-9].*\\.jar");

    private static final Path DEPLOY = Path.of(System.getProperty("deploy.dir", "../deploy"));
    private static final Duration SCRIPT_TIMEOUT = Duration.ofMinutes(3);

    private static final String BUCKET = S3Server.SHARED_BUCKET;

    private static S3Server s3;
    private static EmbeddedKafkaBroker kafka;
    private static StandaloneFlinkCluster flink;

    @BeforeAll
    static void startKafkaAndFlink() throws IOException {
        List<Path> classpath = StandaloneFlinkCluster.classpathFromBuild();
        assertThat(classpath).as("cluster class path: Flink and log4j, no job classes or job dependencies")
                .allMatch(jar -> jar.toString().endsWith(".jar"))
                .noneMatch(jar -> JOB_DEPENDENCY.matcher(jar.getFileName().toString()).matches());
        s3 = S3Server.shared();
        kafka = EmbeddedKafkaBroker.start();
        kafka.createTopics(1, "text-in", "predictions", "text-dlq");
        kafka.createTopics(1, Topics.SCRIPTS.input(), Topics.SCRIPTS.predictions(), Topics.SCRIPTS.deadLetters());
        Map<String, String> checkpointsOnS3 = new java.util.TreeMap<>(s3.flinkSettings());
        checkpointsOnS3.put("execution.checkpointing.storage", "filesystem");
        checkpointsOnS3.put("execution.checkpointing.dir", "s3://" + BUCKET + "/standalone-cluster-it/checkpoints");
        flink = StandaloneFlinkCluster.start(Path.of(System.getProperty("flink.cluster.dir")), classpath,
                checkpointsOnS3, Path.of(System.getProperty(S3Server.PLUGINS_DIR_PROPERTY)), CLUSTER_START);
    }

    @AfterAll
    static void stopFlinkAndKafka() throws IOException {
        try {
            if (flink != null) {
                flink.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void jobJarTrainsAndPredictsOnAStandaloneClusterWithCheckpointsAndModelsOnS3() throws Throwable {
        String store = "s3://" + BUCKET + "/standalone-cluster-it/models";
        String[] args = {"--bootstrap-servers", kafka.bootstrapServers(), "--store", store,
                "--group-id", "standalone-cluster-it", "--hidden", "32", "--embed", "16", "--window", "16",
                "--batch", "4", "--checkpoint-interval-ms", "1000", "--publish-every-windows", "8",
                "--keep-versions", "1000"};
        JobConfig.parse(args); // the job's main would System.exit on bad flags: fail here instead
        Path jobJar = Path.of(System.getProperty("job.jar"));
        assertThat(jobJar).isRegularFile();

        try (RestClusterClient<StandaloneClusterId> client =
                new RestClusterClient<>(flink.clientConfiguration(), StandaloneClusterId.getInstance());
                Feed feed = new Feed(Topics.DEFAULT)) {
            JobID job = flink.submit(jobJar, List.of(args), Duration.ofMinutes(2));
            List<Prediction> predictions;
            List<String> checkpointObjects;
            try {
                predictions = feed.untilEveryStreamIsPredictedAfter(client, job, 0);
                checkpointObjects = s3.list(BUCKET, "standalone-cluster-it/checkpoints/" + job + "/");
            } finally {
                cancel(client, job);
            }
            // a version is served once LATEST points at it, after the checkpoint that wrote it completed
            assertThat(checkpointObjects).as("the job's checkpoint files on S3 while it ran")
                    .anyMatch(key -> key.contains("/chk-") && key.endsWith("/_metadata"));
            assertServedByPublishedVersions(predictions, ModelStores.open(store));
        } catch (Throwable failure) {
            throw withLogTails(failure);
        }
    }

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void deployScriptsSubmitSavepointStopResumeAndRescaleTheJob(@TempDir Path storeDir) throws Throwable {
        Path jobJar = Path.of(System.getProperty("job.jar"));
        List<String> flags = List.of("--bootstrap-servers", kafka.bootstrapServers(), "--store",
                storeDir.toUri().toString(), "--group-id", "deploy-scripts-it", "--input-topic", Topics.SCRIPTS.input(),
                "--prediction-topic", Topics.SCRIPTS.predictions(), "--dead-letter-topic", Topics.SCRIPTS.deadLetters(),
                "--hidden", "32", "--embed", "16", "--window", "16", "--batch", "4", "--checkpoint-interval-ms", "1000",
                "--publish-every-windows", "8", "--keep-versions", "1000");
        JobConfig.parse(flags.toArray(String[]::new));
        List<String> atParallelismOne = new ArrayList<>(List.of("-p", "1", jobJar.toString(), "--"));
        atParallelismOne.addAll(flags);
        atParallelismOne.addAll(List.of("--parallelism", "1", "--inference-parallelism", "1"));

        try (RestClusterClient<StandaloneClusterId> client =
                new RestClusterClient<>(flink.clientConfiguration(), StandaloneClusterId.getInstance());
                Feed feed = new Feed(Topics.SCRIPTS)) {
            JobID first = JobID.fromHexString(script("submit.sh", atParallelismOne));
            feed.untilEveryStreamIsPredictedAfter(client, first, 0);

            String savepoint = script("savepoint.sh", List.of(first.toHexString()));
            assertThat(savepointMetadata(savepoint)).as("savepoint.sh's savepoint").isRegularFile();
            assertThat(client.getJobStatus(first).get(30, TimeUnit.SECONDS)).as("the job after savepoint.sh")
                    .isEqualTo(JobStatus.RUNNING);
            feed.untilEveryStreamIsPredictedAfter(client, first, feed.lastSequence());

            String stopped = script("stop-with-savepoint.sh", List.of(first.toHexString()));
            assertThat(client.getJobStatus(first).get(30, TimeUnit.SECONDS)).as("the job after stop-with-savepoint.sh")
                    .isEqualTo(JobStatus.FINISHED);
            assertThat(savepointMetadata(stopped)).as("stop-with-savepoint.sh's savepoint").isRegularFile();
            feed.skipPredictionsWritten();
            Map<String, Long> predictedBeforeStop = feed.highestPredicted();
            long sentBeforeStop = feed.lastSequence();

            List<String> resume = new ArrayList<>(List.of(stopped));
            resume.addAll(atParallelismOne);
            JobID second = JobID.fromHexString(script("resume.sh", resume));
            assertThat(restoredSavepoint(second)).as("what the resumed job restored").isEqualTo(location(stopped));
            // predicted before the stop: a job with the restored per-stream state drops it as a duplicate, a job
            // started afresh would predict it again
            feed.replay(STREAMS.get(0), 1);
            List<Prediction> afterResume = feed.untilEveryStreamIsPredictedAfter(client, second, sentBeforeStop);
            assertThat(afterResume).as("predictions of the resumed job").isNotEmpty().allSatisfy(p -> assertThat(
                    p.getSequenceNumber()).as("sequence number of a prediction of %s after the resume",
                    p.getStreamId()).isGreaterThan(predictedBeforeStop.get(p.getStreamId())));
            long sentBeforeRescale = feed.lastSequence();

            List<String> rescale = new ArrayList<>(List.of(second.toHexString(), "2", jobJar.toString(), "--"));
            rescale.addAll(flags);
            JobID third = JobID.fromHexString(script("rescale.sh", rescale));
            assertThat(client.getJobStatus(second).get(30, TimeUnit.SECONDS)).as("the job rescale.sh stopped")
                    .isEqualTo(JobStatus.FINISHED);
            assertThat(restoredSavepoint(third)).as("what the rescaled job restored").startsWith(
                    location(flink.savepointDirectory().toUri().toString()));
            assertThat(vertexParallelism(third)).as("parallelism of the rescaled job's operators by name")
                    .containsEntry("train", 2);
            feed.skipPredictionsWritten();
            try {
                feed.untilEveryStreamIsPredictedAfter(client, third, sentBeforeRescale);
            } finally {
                cancel(client, third);
            }
        } catch (Throwable failure) {
            throw withLogTails(failure);
        }
    }

    private static void failIfTerminated(RestClusterClient<StandaloneClusterId> client, JobID job) throws Exception {
        JobStatus status = client.getJobStatus(job).get(30, TimeUnit.SECONDS);
        if (status.isGloballyTerminalState()) {
            JobResult result = client.requestJobResult(job).get(30, TimeUnit.SECONDS);
            throw new AssertionError("the job ended with " + status + result.getSerializedThrowable()
                    .map(t -> ":\n" + t.getFullStringifiedStackTrace()).orElse(""));
        }
    }

    private static void cancel(RestClusterClient<StandaloneClusterId> client, JobID job) throws Exception {
        if (client.getJobStatus(job).get(30, TimeUnit.SECONDS).isGloballyTerminalState()) {
            return;
        }
        client.cancel(job).get(1, TimeUnit.MINUTES);
        assertThat(client.requestJobResult(job).get(1, TimeUnit.MINUTES).getApplicationStatus())
                .isEqualTo(ApplicationStatus.CANCELED);
    }

    private static void assertServedByPublishedVersions(List<Prediction> predictions, ModelStore store)
            throws IOException {
        Map<Long, Publication> published = new HashMap<>(); // the versions LATEST pointed at, and when
        store.publications().forEach(p -> published.put(p.version(), p));
        assertThat(published).as("versions LATEST pointed at").isNotEmpty();
        List<Prediction> ok = predictions.stream().filter(p -> p.getStatus() == PredictionStatus.OK).toList();
        assertThat(ok).isNotEmpty().allSatisfy(p -> {
            assertThat(STREAMS).contains(p.getStreamId());
            assertThat(p.getModelVersion()).as("model version of an OK prediction").isNotNull()
                    .isIn(published.keySet());
            published.get(p.getModelVersion()).at().ifPresent(at -> assertThat(p.getEmittedAt())
                    .as("made with version %d once it was LATEST", p.getModelVersion()).isAfterOrEqualTo(at));
            assertThat(p.getTopK()).isNotEmpty();
            for (TokenProbability token : p.getTopK()) {
                assertThat(token.getProbability()).isGreaterThan(0f).isLessThanOrEqualTo(1f);
            }
        });
    }

    private static Throwable withLogTails(Throwable failure) {
        String tails = flink.logTails(80);
        System.err.println(tails);
        failure.addSuppressed(new AssertionError("the ends of the cluster's logs:\n" + tails));
        return failure;
    }

    /**
     * Runs {@code deploy/scripts/SCRIPT ARGS} with bash against this cluster's REST endpoint; returns the last line
     * it printed on stdout (a job id or a savepoint location), or fails with its exit status and stderr (every REST
     * call it made).
     */
    private static String script(String script, List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", DEPLOY.resolve("scripts").resolve(script).toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("FLINK_REST_URL", flink.restUrl());
        builder.environment().put("FLINK_REST_TIMEOUT_SECONDS", Long.toString(SCRIPT_TIMEOUT.toSeconds()));
        Path err = Files.createTempFile("deploy-script-", ".err");
        builder.redirectError(err.toFile());
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        boolean ended = process.waitFor(SCRIPT_TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
        String calls = Files.readString(err, StandardCharsets.UTF_8);
        Files.delete(err);
        assertThat(ended).as("%s ends; its calls:%n%s", script, calls).isTrue();
        assertThat(process.exitValue()).as("exit status of %s %s; its calls:%n%s", script, args, calls).isZero();
        List<String> lines = out.lines().toList();
        assertThat(lines).as("what %s printed on stdout", script).isNotEmpty();
        return lines.get(lines.size() - 1).trim();
    }

    /** A savepoint location as the REST API gives it (file:/...), as a path. */
    private static Path location(String savepoint) {
        return Path.of(URI.create(savepoint.startsWith("file:") ? savepoint : "file:" + savepoint));
    }

    private static Path savepointMetadata(String savepoint) {
        return location(savepoint).resolve("_metadata");
    }

    /**
     * The savepoint a job restored its state from: {@code latest.restored.external_path} of GET
     * /jobs/JOB/checkpoints, waited for while the job starts.
     */
    private static Path restoredSavepoint(JobID job) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        JsonNode restored = null;
        while (System.nanoTime() < deadline) {
            restored = flink.rest("/jobs/" + job + "/checkpoints").path("latest").path("restored");
            if (restored.hasNonNull("external_path")) {
                assertThat(restored.path("is_savepoint").asBoolean()).as("restored from a savepoint").isTrue();
                return location(restored.path("external_path").asText());
            }
            Thread.sleep(500);
        }
        throw new AssertionError("job " + job + " reports no restored savepoint within a minute: " + restored);
    }

    /** The parallelism of each of a job's vertices, by the name of its first operator (GET /jobs/JOB). */
    private static Map<String, Integer> vertexParallelism(JobID job) throws IOException, InterruptedException {
        Map<String, Integer> parallelism = new java.util.TreeMap<>();
        for (JsonNode vertex : flink.rest("/jobs/" + job).path("vertices")) {
            String name = vertex.path("name").asText().split(" -> ")[0].trim();
            parallelism.put(name, vertex.path("parallelism").asInt());
        }
        return parallelism;
    }

    /** The topics of one test: the job's input, predictions and dead letters. */
    private record Topics(String input, String predictions, String deadLetters) {
        static final Topics DEFAULT = new Topics("text-in", "predictions", "text-dlq");
        static final Topics SCRIPTS = new Topics("scripts-text-in", "scripts-predictions", "scripts-text-dlq");
    }

    /**
     * The test's side of the job's topics: writes one chunk per stream at a time with rising sequence numbers (the
     * same for every stream) and reads the prediction topic from its start, with one consumer for the whole test.
     */
    private static final class Feed implements AutoCloseable {
        private final Topics topics;
        private final Producer<byte[], byte[]> producer;
        private final KafkaConsumer<byte[], byte[]> reader;
        private final Map<String, Long> highestPredicted = new java.util.TreeMap<>();
        private long sequence;

        Feed(Topics topics) {
            this.topics = topics;
            producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                    ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
            Properties properties = new Properties();
            properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, "standalone-cluster-it-reader-" + UUID.randomUUID());
            properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            reader = new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            reader.subscribe(List.of(topics.predictions()));
        }

        /** The sequence number of the last chunk written to every stream. */
        long lastSequence() {
            return sequence;
        }

        /** The highest sequence number each stream has had a prediction for, among the predictions read so far. */
        Map<String, Long> highestPredicted() {
            return Map.copyOf(highestPredicted);
        }

        /**
         * Writes a chunk per stream every 200 ms and reads the prediction topic, until every stream has had a
         * prediction with status OK for a sequence number above {@code after}; fails at once if the job ends, and
         * after {@link #PATIENCE} otherwise. Returns the predictions read.
         */
        List<Prediction> untilEveryStreamIsPredictedAfter(RestClusterClient<StandaloneClusterId> client, JobID job,
                long after) throws Exception {
            List<Prediction> predictions = new ArrayList<>();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            for (int round = 1; System.nanoTime() < deadline; round++) {
                sequence++;
                for (String stream : STREAMS) {
                    send(stream, sequence);
                }
                producer.flush();
                predictions.addAll(poll());
                Set<String> done = predictions.stream()
                        .filter(p -> p.getStatus() == PredictionStatus.OK && p.getSequenceNumber() > after)
                        .map(Prediction::getStreamId).collect(Collectors.toSet());
                if (done.containsAll(STREAMS)) {
                    return predictions;
                }
                if (round % 10 == 0) {
                    failIfTerminated(client, job);
                }
            }
            throw new AssertionError("within " + PATIENCE + " not every stream of " + STREAMS + " had a prediction "
                    + "with status OK after sequence number " + after + "; " + predictions.size() + " predictions");
        }

        /** Writes a chunk with an old sequence number to one stream. */
        void replay(String stream, long oldSequence) {
            send(stream, oldSequence);
            producer.flush();
        }

        /** Reads past every prediction written so far, so that the next ones read are those of a new job. */
        void skipPredictionsWritten() throws IOException {
            Set<TopicPartition> partitions = reader.assignment();
            Map<TopicPartition, Long> ends = reader.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> reader.position(p) < ends.get(p))) {
                assertThat(System.nanoTime()).as("reading to the end of %s", topics.predictions())
                        .isLessThan(deadline);
                poll();
            }
        }

        private List<Prediction> poll() throws IOException {
            List<Prediction> read = new ArrayList<>();
            for (var record : reader.poll(Duration.ofMillis(200))) {
                Prediction prediction = Prediction.getDecoder().decode(record.value());
                highestPredicted.merge(prediction.getStreamId(), prediction.getSequenceNumber(), Math::max);
                read.add(prediction);
            }
            return read;
        }

        private void send(String stream, long sequenceNumber) {
            TextEvent event = TextEvent.newBuilder().setStreamId(stream).setSequenceNumber(sequenceNumber)
                    .setText(SENTENCES.get((int) ((sequenceNumber + stream.length()) % SENTENCES.size())))
                    .setEventTime(EVENT_TIME).setStartsDocument(sequenceNumber == 1).build();
            producer.send(new ProducerRecord<>(topics.input(), WireFormat.key(stream), WireFormat.value(event)));
        }

        @Override
        public void close() {
            try {
                producer.close(Duration.ofSeconds(10));
            } finally {
                reader.close(Duration.ofSeconds(10));
            }
        }
    }
}
