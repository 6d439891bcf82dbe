package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.kafka.WireFormat;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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
 * gets predictions with status OK from a model version the job trained and published on the TaskManager.
 *
 * <p>The cluster's logs stay in {@code target/standalone-cluster/log}; their ends are printed when the test fails.
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

    private static EmbeddedKafkaBroker kafka;
    private static StandaloneFlinkCluster flink;

    @BeforeAll
    static void startKafkaAndFlink() throws IOException {
        List<Path> classpath = clusterClasspath();
        assertThat(classpath).as("cluster class path: Flink and log4j, no job classes or job dependencies")
                .allMatch(jar -> jar.toString().endsWith(".jar"))
                .noneMatch(jar -> JOB_DEPENDENCY.matcher(jar.getFileName().toString()).matches());
        kafka = EmbeddedKafkaBroker.start();
        kafka.createTopics(1, "text-in", "predictions", "text-dlq");
        flink = StandaloneFlinkCluster.start(Path.of(System.getProperty("flink.cluster.dir")), classpath,
                CLUSTER_START);
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
    void jobJarTrainsAndPredictsOnAStandaloneCluster(@TempDir Path storeDir) throws Exception {
        String[] args = {"--bootstrap-servers", kafka.bootstrapServers(), "--store", storeDir.toUri().toString(),
                "--group-id", "standalone-cluster-it", "--hidden", "32", "--embed", "16", "--window", "16",
                "--batch", "4", "--checkpoint-interval-ms", "1000", "--publish-every-windows", "8",
                "--keep-versions", "1000"};
        JobConfig.parse(args); // the job's main would System.exit on bad flags: fail here instead
        Path jobJar = Path.of(System.getProperty("job.jar"));
        assertThat(jobJar).isRegularFile();

        try (RestClusterClient<StandaloneClusterId> client =
                new RestClusterClient<>(flink.clientConfiguration(), StandaloneClusterId.getInstance())) {
            JobID job = flink.submit(jobJar, List.of(args), Duration.ofMinutes(2));
            List<Prediction> predictions;
            try {
                predictions = feedUntilEveryStreamIsPredicted(client, job);
            } finally {
                cancel(client, job);
            }
            assertServedByPublishedVersions(predictions, ModelStores.open(storeDir.toUri().toString()));
        } catch (Throwable failure) {
            String tails = flink.logTails(80);
            System.err.println(tails);
            failure.addSuppressed(new AssertionError("the ends of the cluster's logs:\n" + tails));
            throw failure;
        }
    }

    /**
     * Writes one chunk per stream every 200 ms and reads the prediction topic, until every stream has had a
     * prediction with status OK; fails at once if the job fails, and after {@link #PATIENCE} otherwise.
     */
    private List<Prediction> feedUntilEveryStreamIsPredicted(RestClusterClient<StandaloneClusterId> client,
            JobID job) throws Exception {
        List<Prediction> predictions = new ArrayList<>();
        try (Producer<byte[], byte[]> producer = producer(); KafkaConsumer<byte[], byte[]> reader = reader()) {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            for (long sequence = 1; System.nanoTime() < deadline; sequence++) {
                for (String stream : STREAMS) {
                    producer.send(new ProducerRecord<>("text-in", WireFormat.key(stream),
                            WireFormat.value(chunk(stream, sequence))));
                }
                producer.flush();
                for (var record : reader.poll(Duration.ofMillis(200))) {
                    predictions.add(Prediction.getDecoder().decode(record.value()));
                }
                if (okStreams(predictions).containsAll(STREAMS)) {
                    return predictions;
                }
                if (sequence % 10 == 0) {
                    failIfTerminated(client, job);
                }
            }
        }
        throw new AssertionError("within " + PATIENCE + " only " + okStreams(predictions) + " of " + STREAMS
                + " had predictions with status OK; " + predictions.size() + " predictions in all");
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
        Set<Long> published = store.listVersions().stream().map(ModelManifest::getVersion)
                .collect(Collectors.toSet());
        assertThat(published).as("versions the job published to the model store").isNotEmpty();
        List<Prediction> ok = predictions.stream().filter(p -> p.getStatus() == PredictionStatus.OK).toList();
        assertThat(ok).isNotEmpty().allSatisfy(p -> {
            assertThat(STREAMS).contains(p.getStreamId());
            assertThat(p.getModelVersion()).as("model version of an OK prediction").isNotNull().isIn(published);
            assertThat(p.getTopK()).isNotEmpty();
            for (TokenProbability token : p.getTopK()) {
                assertThat(token.getProbability()).isGreaterThan(0f).isLessThanOrEqualTo(1f);
            }
        });
    }

    private static Set<String> okStreams(List<Prediction> predictions) {
        return predictions.stream().filter(p -> p.getStatus() == PredictionStatus.OK)
                .map(Prediction::getStreamId).collect(Collectors.toSet());
    }

    private static TextEvent chunk(String stream, long sequence) {
        return TextEvent.newBuilder().setStreamId(stream).setSequenceNumber(sequence)
                .setText(SENTENCES.get((int) ((sequence + stream.length()) % SENTENCES.size())))
                .setEventTime(EVENT_TIME).setStartsDocument(sequence == 1).build();
    }

    private static List<Path> clusterClasspath() throws IOException {
        String line = Files.readString(Path.of(System.getProperty("flink.cluster.classpath.file"))).trim();
        return Arrays.stream(line.split(":")).map(Path::of).toList();
    }

    private static Producer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<byte[], byte[]> reader() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, "standalone-cluster-it-reader-" + UUID.randomUUID());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of("predictions"));
        return consumer;
    }
}
