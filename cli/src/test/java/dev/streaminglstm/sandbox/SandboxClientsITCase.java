package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.streaminglstm.deploy.JobSources;
import dev.streaminglstm.kafka.ListeningSockets;
import dev.streaminglstm.sandbox.KcatInput.Record;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.SchemaHistory;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox as people meet it from a second terminal, with the clients they already use, all against one
 * sandbox (free ports, a tiny model): Debian's kcat writes garbage and text into it and reads the dead letters;
 * the Python example decodes its predictions with the project's schema files; a real Prometheus scrapes it and
 * answers every query of the Grafana dashboard; the web UI serves the job; and nothing listens beyond the loopback
 * interface. Each client test installs its Debian packages (as .ci/run could on a fresh machine) or skips, saying why.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class SandboxClientsITCase {

    private static final Duration READY_TIMEOUT = Duration.ofMinutes(4);
    private static final Duration RESULT_TIMEOUT = Duration.ofMinutes(3);
    private static final Duration PROMETHEUS_TIMEOUT = Duration.ofSeconds(90);
    private static final Path DASHBOARD =
            JobSources.REPOSITORY.resolve("deploy/compose/grafana/dashboards/streaming-lstm.json");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    static Path dir;

    private static Sandbox sandbox;
    private static SandboxEndpoints endpoints;
    private static Thread running;
    private static final AtomicReference<Throwable> failure = new AtomicReference<>();
    private static final RecordingView view = new RecordingView();
    private static List<InetSocketAddress> listeningBefore;

    @BeforeAll
    static void startTheSandbox() throws Exception {
        listeningBefore = ListeningSockets.ofThisProcess();
        SandboxSettings settings = new SandboxSettings(Corpus.europarl(), 4, 16, RateLimit.bytesPerSecond(2000),
                Optional.of(Duration.ofMinutes(12)), dir.resolve("work"),
                List.of("--hidden", "32", "--embed", "16", "--window", "16", "--batch", "8",
                        "--checkpoint-interval-ms", "2000", "--publish-every-windows", "16", "--context-bytes", "32",
                        "--continuation-length", "8"),
                Duration.ofMillis(500), 0, SandboxEndpoints.freePorts(), Duration.ZERO, false);
        sandbox = new Sandbox(settings, view);
        endpoints = sandbox.endpoints();
        running = new Thread(() -> {
            try {
                sandbox.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "sandbox-under-test");
        running.start();
        await("the sandbox published a model and predicted with it", READY_TIMEOUT,
                () -> Files.exists(sandbox.runDir().resolve(SandboxEndpoints.FILE)) && view.latest()
                        .map(s -> !s.versions().isEmpty() && s.predictions() > 0).orElse(false));
    }

    @AfterAll
    static void stopTheSandbox() throws Exception {
        if (sandbox != null) {
            sandbox.stop();
            running.join(TimeUnit.MINUTES.toMillis(2));
        }
    }

    @Test
    void theBrokerTheWebUiAndTheMetricsListenOnTheLoopbackInterfaceOnly() throws Exception {
        List<InetSocketAddress> opened = new ArrayList<>(ListeningSockets.ofThisProcess());
        opened.removeAll(listeningBefore);

        assertThat(opened).as("sockets the sandbox listens on")
                .extracting(InetSocketAddress::getPort)
                .contains(endpoints.kafkaPort(), endpoints.webPort(), endpoints.metricsPort());
        assertThat(opened).as("sockets the sandbox listens on (broker, controller, web UI, metrics, Flink's own)")
                .allSatisfy(address -> assertThat(address.getAddress().isLoopbackAddress())
                        .as("%s is on the loopback interface", address).isTrue());
        assertThat(Files.readAllLines(sandbox.runDir().resolve(SandboxEndpoints.FILE)))
                .as("the run folder's endpoints").containsExactlyElementsOf(endpoints.lines());
        assertThat(endpoints.kafka()).isEqualTo("localhost:" + endpoints.kafkaPort());
    }

    @Test
    void theWebUiServesFlinksDashboardAndTheRestApiShowsTheRunningJob() throws Exception {
        HttpResponse<String> page = get(endpoints.webUi());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<title>Apache Flink Web Dashboard</title>");

        JsonNode jobs = JSON.readTree(get(endpoints.webUi() + "jobs/overview").body()).path("jobs");
        assertThat(jobs).hasSize(1);
        assertThat(jobs.get(0).path("name").asText()).isEqualTo("streaming-lstm");
        assertThat(jobs.get(0).path("state").asText()).isEqualTo("RUNNING");
    }

    /**
     * The required test of issue 10: 1,000 bad records of every kind among real text, written with kcat; the sandbox
     * lives on, every bad record is a dead letter with its reason (read back with kcat), every good one is predicted.
     */
    @Test
    void kcatsGarbageBecomesDeadLettersWithTheirReasonsWhileTheSandboxLivesOnAndPredictsTheText() throws Exception {
        assumeKcat();
        List<Record> records = KcatInput.mixed(20261204L, 1000, 120, 6);
        Path file = dir.resolve("kcat-input.bin");
        Files.write(file, KcatInput.kcatFile(records));
        Path predictionsGarbage = dir.resolve("kcat-predictions.bin");
        Files.write(predictionsGarbage, KcatInput.kcatFile(KcatInput.randomValues(7L, 20)));
        long predictionsBefore = view.latest().orElseThrow().predictions();

        kcat(file, "-P", "-t", "text-in", "-D", KcatInput.RECORD_END, "-K", KcatInput.KEY_END);
        kcat(predictionsGarbage, "-P", "-t", "predictions", "-D", KcatInput.RECORD_END, "-K", KcatInput.KEY_END);

        Map<String, Integer> expected = new HashMap<>();
        records.stream().filter(r -> !r.good()).forEach(r -> expected.merge(deadLetterKey(r), 1, Integer::sum));
        Set<String> goodOnes = new HashSet<>();
        records.stream().filter(Record::good).forEach(r -> goodOnes.add(r.stream() + "#" + r.sequenceNumber()));

        Map<String, Integer> missing = new HashMap<>(expected);
        await("every bad record is in the dead-letter topic with its reason", RESULT_TIMEOUT, () -> {
            missing.clear();
            missing.putAll(expected);
            for (DeadLetter d : deadLettersReadWithKcat()) {
                missing.computeIfPresent(deadLetterKey(d), (k, n) -> n > 1 ? n - 1 : null);
            }
            return missing.isEmpty();
        });
        Set<String> unpredicted = new HashSet<>(goodOnes);
        await("every good record is predicted", RESULT_TIMEOUT, () -> {
            for (Prediction p : predictions()) {
                unpredicted.remove(p.getStreamId() + "#" + p.getSequenceNumber());
            }
            return unpredicted.isEmpty();
        });
        await("the sandbox predicts on", RESULT_TIMEOUT,
                () -> view.latest().orElseThrow().predictions() > predictionsBefore + 100);

        assertThat(failure.get()).as("the sandbox's failure").isNull();
        assertThat(running.isAlive()).as("the sandbox runs").isTrue();
        assertThat(view.notes).as("what the sandbox said")
                .anyMatch(note -> note.startsWith("passed over ") && note.contains("records"));
        assertThat(JSON.readTree(get(endpoints.webUi() + "jobs/overview").body()).path("jobs").get(0)
                .path("state").asText()).as("the job's state").isEqualTo("RUNNING");
    }

    @Test
    void thePythonExampleDecodesThePredictionsWithTheProjectsSchemaFiles() throws Exception {
        Optional<String> unavailable = DebianPackages.install(
                () -> DebianPackages.runs("/usr/bin/python3", "-c", "import confluent_kafka, avro"),
                "python3-confluent-kafka", "python3-avro");
        assumeTrue(unavailable.isEmpty(), () -> "no Python client: " + unavailable.orElse(""));
        Path script = JobSources.REPOSITORY.resolve("examples/consume_predictions.py");

        String json = python(script, "--bootstrap-servers", endpoints.kafka(), "--max", "30", "--json");
        List<JsonNode> printed = new ArrayList<>();
        for (String line : json.strip().lines().toList()) {
            printed.add(JSON.readTree(line));
        }
        assertThat(printed).hasSize(30);
        Map<Long, Prediction> byOffset = predictionsByOffset();
        for (JsonNode p : printed) {
            Prediction expected = byOffset.get(p.path("offset").asLong());
            assertThat(expected).as("the prediction at offset %s", p.path("offset")).isNotNull();
            assertThat(p.path("streamId").asText()).isEqualTo(expected.getStreamId());
            assertThat(p.path("sequenceNumber").asLong()).isEqualTo(expected.getSequenceNumber());
            assertThat(p.path("bytePosition").asLong()).isEqualTo(expected.getBytePosition());
            assertThat(p.path("status").asText()).isEqualTo(expected.getStatus().name());
            assertThat(p.path("modelVersion").isNull() ? null : p.path("modelVersion").asLong())
                    .isEqualTo(expected.getModelVersion());
            assertThat(p.path("continuation").asText()).isEqualTo(expected.getContinuation());
            assertThat(p.path("topK")).hasSameSizeAs(expected.getTopK());
            for (int i = 0; i < expected.getTopK().size(); i++) {
                assertThat(p.path("topK").get(i).path("token").asInt())
                        .isEqualTo(expected.getTopK().get(i).getToken());
                assertThat((float) p.path("topK").get(i).path("probability").asDouble())
                        .isEqualTo(expected.getTopK().get(i).getProbability());
            }
        }

        String lines = python(script, "--bootstrap-servers", endpoints.kafka(), "--max", "5");
        assertThat(lines.strip().lines().toList()).hasSize(5)
                .allMatch(line -> line.matches("doc-\\d+ #\\d+  v\\d+  '.*' \\d+\\.\\d%.*  -> \".*\"  surprise .*"));
    }

    @Test
    void prometheusScrapesTheSandboxAndAnswersEveryQueryOfTheGrafanaDashboard() throws Exception {
        Optional<String> unavailable = DebianPackages.install(
                () -> DebianPackages.runs("prometheus", "--version"), "prometheus");
        assumeTrue(unavailable.isEmpty(), () -> "no Prometheus: " + unavailable.orElse(""));
        int port = freePort();
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  evaluation_interval: 1s",
                "scrape_configs:",
                "  - job_name: sandbox",
                "    static_configs:",
                "      - targets: [\"localhost:" + endpoints.metricsPort() + "\"]",
                ""));
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("prometheus-data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        try {
            String api = "http://127.0.0.1:" + port + "/api/v1/query?query=";
            List<String> queries = dashboardQueries();
            assertThat(queries).hasSizeGreaterThan(10);
            Map<String, String> answers = new HashMap<>();
            // A rate over [1m] needs two scrapes of a counter: a few seconds at one scrape a second.
            pollUntil(PROMETHEUS_TIMEOUT, () -> {
                for (String query : queries) {
                    if (!answers.containsKey(query)) {
                        nonEmptyResult(api + URLEncoder.encode(query, StandardCharsets.UTF_8))
                                .ifPresent(result -> answers.put(query, result));
                    }
                }
                return answers.size() == queries.size();
            });
            assertThat(answers.keySet()).as("the dashboard's queries with a non-empty result")
                    .containsExactlyInAnyOrderElementsOf(queries);
        } finally {
            prometheus.destroy();
            if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void assumeKcat() {
        Optional<String> unavailable = DebianPackages.install(() -> DebianPackages.runs("kcat", "-V"), "kcat");
        assumeTrue(unavailable.isEmpty(), () -> "no kcat: " + unavailable.orElse(""));
    }

    /** Runs kcat on the sandbox's broker, with {@code input} as its standard input, and returns its output. */
    private static byte[] kcat(Path input, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("timeout", "120", "kcat", "-b", endpoints.kafka()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(dir.resolve("kcat.err").toFile());
        builder.redirectInput(input == null ? ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))
                : ProcessBuilder.Redirect.from(input.toFile()));
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(130, TimeUnit.SECONDS)).as("kcat ends").isTrue();
        assertThat(process.exitValue()).as("kcat %s: %s", args, Files.readString(dir.resolve("kcat.err")))
                .isZero();
        return out;
    }

    /** The dead-letter topic as kcat reads it: each value prefixed by its 4-byte big-endian length. */
    private static List<DeadLetter> deadLettersReadWithKcat() throws Exception {
        byte[] out = kcat(null, "-C", "-t", "text-dlq", "-o", "beginning", "-e", "-q", "-f", "%R%s");
        BinaryMessageDecoder<DeadLetter> decoder = SchemaHistory.decoder(DeadLetter.class);
        List<DeadLetter> letters = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(out))) {
            while (true) {
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException e) {
                    return letters;
                }
                letters.add(decoder.decode(in.readNBytes(length)));
            }
        }
    }

    /** What identifies a bad record in its dead letter: key, value and the expected reason code. */
    private static String deadLetterKey(Record r) {
        return hex(r.key()) + "/" + hex(r.value()) + "/" + r.kind().reasonCode;
    }

    private static String deadLetterKey(DeadLetter d) {
        return (d.getKey() == null ? "null" : hex(bytes(d.getKey()))) + "/" + hex(bytes(d.getValue())) + "/"
                + d.getReasonCode();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        if (buffer == null) {
            return new byte[0]; // kcat writes an empty value as an empty one: the dead letter may say null
        }
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }

    private static String hex(byte[] bytes) {
        if (bytes == null) {
            return "null";
        }
        StringBuilder text = new StringBuilder();
        for (byte b : bytes) {
            text.append(String.format("%02x", b));
        }
        return text.toString();
    }

    private static List<Prediction> predictions() {
        return new ArrayList<>(predictionsByOffset().values());
    }

    /** Every prediction in the topic by offset; records that are none (kcat's garbage) left out. */
    private static Map<Long, Prediction> predictionsByOffset() {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, endpoints.kafka());
        BinaryMessageDecoder<Prediction> decoder = SchemaHistory.decoder(Prediction.class);
        Map<Long, Prediction> byOffset = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition("predictions", 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
                    try {
                        byOffset.put(record.offset(), decoder.decode(record.value()));
                    } catch (IOException | RuntimeException e) {
                        // garbage
                    }
                }
            }
        }
        return byOffset;
    }

    private static String python(Path script, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("timeout", "120", "/usr/bin/python3", script.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(dir.resolve("python.err").toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(130, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("%s: %s", command, Files.readString(dir.resolve("python.err")))
                .isZero();
        return out;
    }

    /** Every query of the dashboard's panels. */
    private static List<String> dashboardQueries() throws IOException {
        List<String> queries = new ArrayList<>();
        for (JsonNode expr : JSON.readTree(DASHBOARD.toFile()).findValues("expr")) {
            if (!queries.contains(expr.asText())) {
                queries.add(expr.asText());
            }
        }
        return queries;
    }

    /** The query's result when it holds at least one series, else empty (also while Prometheus starts). */
    private static Optional<String> nonEmptyResult(String url) {
        try {
            HttpResponse<String> response = get(url);
            if (response.statusCode() != 200) {
                return Optional.empty();
            }
            JsonNode result = JSON.readTree(response.body()).path("data").path("result");
            return result.isArray() && !result.isEmpty() ? Optional.of(result.toString()) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    /** Waits until {@code check} holds, failing with {@code what} after {@code timeout} or if the sandbox fails. */
    private static void await(String what, Duration timeout, Check check) throws Exception {
        if (!pollUntil(timeout, check)) {
            throw new AssertionError("not within " + timeout + ": " + what);
        }
    }

    /** True once {@code check} holds, false after {@code timeout}; fails if the sandbox fails meanwhile. */
    private static boolean pollUntil(Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.holds()) {
            assertThat(failure.get()).as("the sandbox's failure").isNull();
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1000);
        }
        return true;
    }

    /** Keeps what the sandbox shows. */
    private static final class RecordingView implements SandboxView {
        final List<SandboxStatus> statuses = new CopyOnWriteArrayList<>();
        final List<String> notes = new CopyOnWriteArrayList<>();

        Optional<SandboxStatus> latest() {
            return statuses.isEmpty() ? Optional.empty() : Optional.of(statuses.get(statuses.size() - 1));
        }

        @Override
        public void show(SandboxStatus status) {
            statuses.add(status);
        }

        @Override
        public void note(String message) {
            notes.add(message);
        }
    }
}
