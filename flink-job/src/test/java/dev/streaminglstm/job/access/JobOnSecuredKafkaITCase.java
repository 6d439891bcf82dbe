package dev.streaminglstm.job.access;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.job.MiniClusters;
import dev.streaminglstm.job.StreamingLstmJob;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.WireFormat;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.test.junit5.InjectClusterRESTAddress;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job on a broker that demands what production clusters demand: TLS (a certificate the test made),
 * SCRAM-SHA-512 and ACLs that let the job's user read {@code text-in} and its group, write {@code predictions} and
 * {@code text-dlq}, and write under its transactional ids, and nothing else. Kafka source, dead-letter sink and
 * EXACTLY_ONCE prediction sink all connect with {@code --kafka-properties-file}, whose password is
 * {@code ${env:STREAMING_LSTM_TEST_KAFKA_PASSWORD}} (set by the failsafe configuration).
 *
 * <p>Then the secret's bytes are looked for, and must be absent, in every place the issue names: the serialized
 * stream and job graphs, the job's program arguments and what the REST API (the web UI's source) shows, everything
 * logged at INFO meanwhile, the model store (manifests included), the dead letters and the predictions.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class JobOnSecuredKafkaITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.secured();

    @RegisterExtension
    static final MiniClusterExtension FLINK = MiniClusters.twoSlots();

    static final String PASSWORD_VARIABLE = "STREAMING_LSTM_TEST_KAFKA_PASSWORD";
    private static final String USER = "streaming-lstm-job";
    private static final String GROUP = "secured-job";
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final int CHUNKS_PER_STREAM = 12;
    private static final List<String> STREAMS = List.of("north", "south", "east");
    private static final Instant EVENT_TIME = Instant.ofEpochMilli(1_750_000_000_000L);

    private static String secret;

    @TempDir
    Path dir;

    @BeforeAll
    static void createTopicsAndTheJobsUser() {
        secret = System.getenv(PASSWORD_VARIABLE);
        assertThat(secret).as("%s, set by the failsafe configuration of the parent pom", PASSWORD_VARIABLE)
                .isNotBlank();
        KAFKA.createTopics(2, "text-in", "predictions");
        KAFKA.createTopics(1, "text-dlq");
        KAFKA.broker().createScramUser(USER, secret);
    }

    @Test
    void theWholeJobRunsOnTheSecuredBrokerAndItsPasswordIsNowhereToBeSeen(@InjectClusterRESTAddress URI rest)
            throws Exception {
        Path properties = KafkaBrokerExtension.write(
                KAFKA.securedClientProperties(USER, "${env:" + PASSWORD_VARIABLE + "}"), dir.resolve("kafka.properties"));
        List<String> args = List.of("--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--store", dir.resolve("store").toUri().toString(), "--group-id", GROUP,
                "--kafka-properties-file", properties.toString(), "--prediction-guarantee", "EXACTLY_ONCE",
                "--embed", "8", "--hidden", "16", "--window", "16", "--batch", "4", "--publish-every-windows", "2",
                "--checkpoint-interval-ms", "1000", "--continuation-length", "4", "--max-record-bytes", "512");
        JobConfig config = JobConfig.parse(args.toArray(String[]::new));
        KAFKA.broker().allow(JobAcls.all(USER, config.kafka()));
        List<ProducerRecord<byte[], byte[]>> bad = List.of(
                new ProducerRecord<>("text-in", WireFormat.key("north"), bytes("not avro at all")),
                new ProducerRecord<>("text-in", WireFormat.key("south"), bytes("neither")));

        Run run;
        List<String> loggedSecrets;
        try (InfoLogWatch log = InfoLogWatch.lookingFor(secret)) {
            KafkaAccessCheck.requireJobAccessBeforeSubmitting(config.kafka()); // what main does
            run = runUntilPredictedAndPublished(config, bad, rest);
            assertThat(log.events()).as("log events at INFO while the job ran").isGreaterThan(100);
            loggedSecrets = log.hits();
        }

        List<String> chunks = new ArrayList<>();
        STREAMS.forEach(stream -> {
            for (int sequence = 1; sequence <= CHUNKS_PER_STREAM; sequence++) {
                chunks.add(stream + " #" + sequence);
            }
        });
        assertThat(run.predictions).extracting(p -> p.getStreamId() + " #" + p.getSequenceNumber())
                .as("one prediction per chunk, exactly once").containsExactlyInAnyOrderElementsOf(chunks);
        assertThat(run.deadLetters).hasSize(bad.size());
        assertThat(run.deadLetters.stream().map(r -> decodeDeadLetter(r).getReasonCode()))
                .containsOnly("BAD_AVRO");
        assertThat(modelVersions(dir.resolve("store"))).as("model versions published").isNotEmpty();

        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        SoftAssertions nowhere = new SoftAssertions();
        nowhere.assertThat(contains(run.serializedStreamGraph, needle)).as("the serialized stream graph").isFalse();
        nowhere.assertThat(contains(run.serializedJobGraph, needle)).as("the serialized job graph").isFalse();
        nowhere.assertThat(String.join(" ", args)).as("the program arguments").doesNotContain(secret);
        nowhere.assertThat(String.join(" ", config.toArgs())).as("the job's flags, as the deploy files pass them")
                .doesNotContain(secret);
        run.restAnswers.forEach((endpoint, body) ->
                nowhere.assertThat(body).as("REST %s", endpoint).doesNotContain(secret));
        nowhere.assertThat(loggedSecrets).as("log events at INFO holding the password").isEmpty();
        for (Path file : filesUnder(dir.resolve("store"))) {
            nowhere.assertThat(contains(Files.readAllBytes(file), needle)).as("store file %s", file).isFalse();
        }
        for (ConsumerRecord<byte[], byte[]> record : concat(run.deadLetters, run.predictionRecords)) {
            nowhere.assertThat(contains(recordBytes(record), needle)).as("%s record at offset %d", record.topic(),
                    record.offset()).isFalse();
        }
        nowhere.assertAll();
    }

    @Test
    void aPasswordWrittenInClearIsInTheSerializedJobGraph() throws Exception {
        // The control of the search above: the same graph with the password in the properties file holds it.
        Path properties = KafkaBrokerExtension.write(KAFKA.securedClientProperties(USER, secret),
                dir.resolve("clear.properties"));
        JobConfig config = JobConfig.parse("--bootstrap-servers", KAFKA.broker().securedBootstrapServers(),
                "--store", dir.resolve("store").toUri().toString(), "--kafka-properties-file", properties.toString(),
                "--prediction-guarantee", "EXACTLY_ONCE");

        StreamGraph graph = graph(config);

        byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
        assertThat(contains(InstantiationUtil.serializeObject(graph.getJobGraph()), needle)).isTrue();
        assertThat(contains(InstantiationUtil.serializeObject(graph), needle)).isTrue();
    }

    /** What one run of the job left to look at. */
    private record Run(List<Prediction> predictions, List<ConsumerRecord<byte[], byte[]>> predictionRecords,
            List<ConsumerRecord<byte[], byte[]>> deadLetters, byte[] serializedStreamGraph, byte[] serializedJobGraph,
            Map<String, String> restAnswers) {}

    /**
     * Submits the job, sends every stream's chunks and the bad records, and waits until every chunk has its
     * (committed) prediction, every bad record its dead letter, and a model version is out; reads the REST API while
     * the job runs, then cancels it.
     */
    private static Run runUntilPredictedAndPublished(JobConfig config, List<ProducerRecord<byte[], byte[]>> bad,
            URI rest) throws Exception {
        StreamGraph graph = graph(config);
        byte[] serializedJobGraph = InstantiationUtil.serializeObject(graph.getJobGraph());
        byte[] serializedStreamGraph = InstantiationUtil.serializeObject(graph);
        int expected = STREAMS.size() * CHUNKS_PER_STREAM;
        List<ConsumerRecord<byte[], byte[]>> predictionRecords = new ArrayList<>();
        List<ConsumerRecord<byte[], byte[]>> deadLetters = new ArrayList<>();
        Map<String, String> answers;
        JobClient job = MiniClusters.environment(1).executeAsync(graph);
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer();
                KafkaConsumer<byte[], byte[]> predictions = KAFKA.committedReader("predictions");
                KafkaConsumer<byte[], byte[]> dlq = KAFKA.committedReader("text-dlq")) {
            bad.forEach(producer::send);
            for (int sequence = 1; sequence <= CHUNKS_PER_STREAM; sequence++) {
                for (String stream : STREAMS) {
                    producer.send(chunk(stream, sequence));
                }
            }
            producer.flush();
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (predictionRecords.size() < expected || deadLetters.size() < bad.size()
                    || modelVersions(Path.of(URI.create(config.store().uri()))).isEmpty()) {
                predictions.poll(Duration.ofMillis(200)).forEach(predictionRecords::add);
                dlq.poll(Duration.ofMillis(10)).forEach(deadLetters::add);
                if (job.getJobStatus().get().isGloballyTerminalState()) {
                    job.getJobExecutionResult().get(); // throws the job's failure
                    throw new AssertionError("the job ended on its own");
                }
                assertThat(System.nanoTime() - deadline).as("time left to see %d predictions (%d so far), %d dead "
                        + "letters (%d) and a model version", expected, predictionRecords.size(), bad.size(),
                        deadLetters.size()).isNegative();
            }
            answers = restAnswers(rest, job);
        } finally {
            job.cancel().get(1, TimeUnit.MINUTES);
        }
        List<Prediction> decoded = predictionRecords.stream().map(JobOnSecuredKafkaITCase::decodePrediction).toList();
        return new Run(decoded, predictionRecords, deadLetters, serializedStreamGraph, serializedJobGraph, answers);
    }

    /** The job's graph as main builds it, with the real Kafka source and sinks. */
    private static StreamGraph graph(JobConfig config) {
        StreamExecutionEnvironment env = MiniClusters.environment(1);
        StreamingLstmJob.configure(env, config);
        StreamingLstmJob.buildOnKafka(env, config);
        return env.getStreamGraph();
    }

    /** The answers of the REST endpoints behind the web UI's pages of a job and of the cluster. */
    private static Map<String, String> restAnswers(URI base, JobClient job) throws Exception {
        String id = job.getJobID().toHexString();
        Map<String, String> answers = new LinkedHashMap<>();
        HttpClient http = HttpClient.newHttpClient();
        for (String endpoint : List.of("/jobs/" + id, "/jobs/" + id + "/plan", "/jobs/" + id + "/config",
                "/jobs/" + id + "/jobmanager/config", "/jobs/" + id + "/exceptions", "/jobs/" + id + "/checkpoints",
                "/jobmanager/config", "/jobs/overview")) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(base.resolve(endpoint)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("GET %s: %s", endpoint, response.body()).isEqualTo(200);
            answers.put(endpoint, response.body());
        }
        assertThat(answers.get("/jobs/" + id + "/plan")).as("the plan names the job's operators").contains("infer");
        return answers;
    }

    private static ProducerRecord<byte[], byte[]> chunk(String stream, long sequence) {
        TextEvent event = TextEvent.newBuilder().setStreamId(stream).setSequenceNumber(sequence)
                .setText("The " + stream + " wind is light today. ").setEventTime(EVENT_TIME)
                .setStartsDocument(sequence == 1).build();
        return new ProducerRecord<>("text-in", WireFormat.key(stream), WireFormat.value(event));
    }

    private static List<Path> modelVersions(Path store) throws IOException {
        Path versions = store.resolve("versions");
        if (!Files.isDirectory(versions)) {
            return List.of();
        }
        try (var listing = Files.list(versions)) {
            return listing.filter(version -> Files.exists(version.resolve("_COMMITTED"))).toList();
        }
    }

    private static List<Path> filesUnder(Path root) throws IOException {
        try (var walk = Files.walk(root)) {
            List<Path> files = walk.filter(Files::isRegularFile).toList();
            assertThat(files).as("files in %s", root).isNotEmpty();
            return files;
        }
    }

    private static byte[] recordBytes(ConsumerRecord<byte[], byte[]> record) {
        StringBuilder headers = new StringBuilder();
        for (Header header : record.headers()) {
            headers.append(header.key()).append(new String(header.value(), StandardCharsets.ISO_8859_1));
        }
        byte[] key = record.key() == null ? new byte[0] : record.key();
        byte[] extra = headers.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] all = new byte[key.length + record.value().length + extra.length];
        System.arraycopy(key, 0, all, 0, key.length);
        System.arraycopy(record.value(), 0, all, key.length, record.value().length);
        System.arraycopy(extra, 0, all, key.length + record.value().length, extra.length);
        return all;
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Whether {@code needle} occurs in {@code haystack}. */
    static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private static Prediction decodePrediction(ConsumerRecord<byte[], byte[]> record) {
        try {
            return Prediction.getDecoder().decode(record.value());
        } catch (IOException e) {
            throw new AssertionError("not a Prediction: " + record, e);
        }
    }

    private static DeadLetter decodeDeadLetter(ConsumerRecord<byte[], byte[]> record) {
        try {
            return DeadLetter.getDecoder().decode(record.value());
        } catch (IOException e) {
            throw new AssertionError("not a DeadLetter: " + record, e);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
