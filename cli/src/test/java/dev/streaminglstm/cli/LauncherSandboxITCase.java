package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.deploy.JobSources;
import dev.streaminglstm.kafka.EmbeddedKafkaBroker;
import dev.streaminglstm.kafka.ListeningSockets;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command as a user runs it, {@code bin/streaming-lstm sandbox}, a process of its own started by
 * the launcher from the built module: killed with {@code kill -9}, then started again with {@code --resume} on its
 * run folder. The resumed run restores the job's last retained checkpoint, so model versions go on and every stream
 * keeps its state; the broker opens its data again, and the producer goes on where the input topic ends. Its
 * terminal holds what the sandbox says and nothing the libraries log (their log goes to the run folder's file), and
 * it ends on Ctrl-C (SIGINT) with the summary, whose last line is the key=value pairs scripts read.
 *
 * <p>The resumed run listens on every interface ({@code --bind-address 0.0.0.0}), and says so in a warning.
 */
class LauncherSandboxITCase {

    private static final List<String> TINY = List.of("--hidden", "32", "--embed", "16", "--window", "16",
            "--batch", "8", "--streams", "4", "--checkpoint-interval", "2s", "--publish-every-windows", "8");
    private static final List<String> FREE_PORTS = List.of("--kafka-port", "0", "--web-port", "0",
            "--metrics-port", "0");
    private static final String REPLAY_INDEX = "streaming-lstm-sandbox-replay-index";

    @TempDir
    Path workDir;

    @Test
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void aSandboxKilledWithKill9ResumesItsRunAndEndsOnCtrlCWithItsSummary() throws Exception {
        Path runs = workDir.resolve("runs");
        List<String> first = new ArrayList<>(List.of("sandbox", "--quiet", "--work-dir", runs.toString()));
        first.addAll(TINY);
        first.addAll(FREE_PORTS);
        Process killed = launch(first, workDir.resolve("out-1.txt"), workDir.resolve("err-1.txt"));
        Path run;
        long versionBefore;
        try {
            run = await("a run folder with its endpoints", () -> runFolder(runs));
            ModelStore store = ModelStores.open(run.resolve("store").toUri().toString());
            await("two model versions and a retained checkpoint", () -> store.latestVersion().orElse(0) >= 2
                    && Files.exists(run.resolve("checkpoints")) && hasCheckpoint(run.resolve("checkpoints")));
            versionBefore = store.latestVersion().getAsLong();
        } finally {
            killed.destroyForcibly(); // SIGKILL
        }
        assertThat(killed.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(killed.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
        assertThat(Files.readString(workDir.resolve("out-1.txt"))).doesNotContain("sandbox summary");
        Files.delete(run.resolve("endpoints.properties"));

        List<String> second = new ArrayList<>(List.of("sandbox", "--resume", run.toString(), "--quiet",
                "--bind-address", "0.0.0.0"));
        second.addAll(FREE_PORTS);
        Path out = workDir.resolve("out-2.txt");
        Path err = workDir.resolve("err-2.txt");
        Process resumed = launch(second, out, err);
        List<InetSocketAddress> listening;
        Map<String, String> endpoints;
        try {
            endpoints = await("the resumed run's endpoints", () -> endpoints(run));
            listening = ListeningSockets.of(resumed.pid());
            ModelStore store = ModelStores.open(run.resolve("store").toUri().toString());
            await("a model version of the resumed run", () -> store.latestVersion().getAsLong() > versionBefore);
            interrupt(resumed); // Ctrl-C
            assertThat(resumed.waitFor(2, TimeUnit.MINUTES)).as("the sandbox ends on Ctrl-C").isTrue();
        } finally {
            resumed.destroyForcibly();
        }
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);

        assertThat(resumed.exitValue()).as("exit code after SIGINT; stdout:%n%s%nstderr:%n%s", stdout, stderr)
                .isEqualTo(128 + 2);
        assertThat(stderr).as("stderr").isEmpty();
        assertThat(stdout.lines()).as("stdout, without a line of the libraries' log")
                .noneMatch(line -> line.matches("^\\[?\\d{4}-\\d\\d-\\d\\d[ T].*")
                        || line.matches(".*\\b(INFO|WARN|ERROR|DEBUG)\\b.*\\([\\w.$]+:\\d+\\)\\s*$"));
        assertThat(stdout).contains("sandbox run folder: " + run + " (resumed from its checkpoint chk-")
                .contains("warning: --bind-address 0.0.0.0: the broker, the web UI and the metrics listen beyond "
                        + "this machine")
                .contains("sandbox summary after ");
        String last = stdout.strip().lines().reduce((a, b) -> b).orElse("");
        assertThat(last).matches("tokens=\\d+ streams=4 version=\\d+ .*predictions=\\d+ dead_letters=0.*");
        assertThat(run.resolve("sandbox.log")).as("the libraries' log, in the run folder").isNotEmptyFile();
        assertThat(Files.readString(run.resolve("sandbox.log"))).as("Flink restored the checkpoint")
                .containsPattern("Restoring job \\w+ from Savepoint \\d+ .* located at \\S+/chk-\\d+");

        for (String endpoint : List.of("kafka", "web_ui", "metrics")) {
            int port = Integer.parseInt(endpoints.get(endpoint).replaceAll(".*:(\\d+)/?.*", "$1"));
            assertThat(listening).as("what the resumed sandbox listens on").anySatisfy(address -> {
                assertThat(address.getPort()).isEqualTo(port);
                assertThat(address.getAddress().isAnyLocalAddress()).as("%s on every interface", endpoint).isTrue();
            });
        }

        ModelStore store = ModelStores.open(run.resolve("store").toUri().toString());
        assertThat(store.latestVersion().getAsLong()).as("model versions go on").isGreaterThan(versionBefore);
        List<ModelManifest> versions = new ArrayList<>(store.listVersions());
        versions.sort(Comparator.comparingLong(ModelManifest::getVersion));
        assertThat(versions).extracting(ModelManifest::getTokensTrained).as("tokens trained, by version").isSorted();

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.startOn(InetAddress.getLoopbackAddress(), 0,
                run.resolve("kafka"))) {
            assertTheProducerWentOnWhereTheTopicEnded(broker);
            assertEveryStreamKeptItsState(broker);
        }
    }

    /**
     * Every replayed record is in the input topic once, in the replay's order, with each stream's sequence numbers
     * going on by one across the kill: the resumed producer started where the topic ended.
     */
    private static void assertTheProducerWentOnWhereTheTopicEnded(EmbeddedKafkaBroker broker) throws IOException {
        BinaryMessageDecoder<TextEvent> decoder = SchemaHistory.decoder(TextEvent.class);
        List<Long> indices = new ArrayList<>();
        Map<String, List<Long>> sequences = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> record : readAll(broker, "text-in")) {
            Header index = record.headers().lastHeader(REPLAY_INDEX);
            indices.add(Long.parseLong(new String(index.value(), StandardCharsets.US_ASCII)));
            TextEvent event = decoder.decode(record.value());
            sequences.computeIfAbsent(event.getStreamId(), s -> new ArrayList<>()).add(event.getSequenceNumber());
        }
        assertThat(indices).as("replay indices of the input topic").hasSizeGreaterThan(100);
        for (int i = 0; i < indices.size(); i++) {
            assertThat(indices.get(i)).as("replay index at offset %d", i).isEqualTo(i);
        }
        assertThat(sequences).containsOnlyKeys("doc-0", "doc-1", "doc-2", "doc-3");
        sequences.forEach((stream, numbers) -> {
            for (int i = 0; i < numbers.size(); i++) {
                assertThat(numbers.get(i)).as("sequence number %d of %s", i, stream).isEqualTo(i);
            }
        });
    }

    /**
     * Each stream's predictions, before the kill and after the resume, follow one byte count: the inference state of
     * every stream (its bytes so far) came back with the checkpoint. A stream that lost its state would count again
     * from 0. Predictions repeated after the restore (at least once) say the same.
     */
    private static void assertEveryStreamKeptItsState(EmbeddedKafkaBroker broker) throws IOException {
        BinaryMessageDecoder<Prediction> decoder = SchemaHistory.decoder(Prediction.class);
        Map<String, TreeMap<Long, Long>> positions = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : readAll(broker, "predictions")) {
            Prediction p = decoder.decode(record.value());
            Long earlier = positions.computeIfAbsent(p.getStreamId(), s -> new TreeMap<>())
                    .putIfAbsent(p.getSequenceNumber(), p.getBytePosition());
            if (earlier != null) {
                assertThat(p.getBytePosition()).as("a repeated prediction of %s #%d", p.getStreamId(),
                        p.getSequenceNumber()).isEqualTo(earlier);
            }
        }
        assertThat(positions).containsOnlyKeys("doc-0", "doc-1", "doc-2", "doc-3");
        positions.forEach((stream, bySequence) -> {
            assertThat(bySequence.firstKey()).isZero();
            assertThat(new ArrayList<>(bySequence.values())).as("byte positions of %s by sequence number", stream)
                    .isSorted().doesNotHaveDuplicates();
        });
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(EmbeddedKafkaBroker broker, String topic) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            }
        }
        return records;
    }

    /** Sends SIGINT, as Ctrl-C in its terminal does. */
    private static void interrupt(Process process) throws Exception {
        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start();
        assertThat(kill.waitFor(30, TimeUnit.SECONDS) && kill.exitValue() == 0).as("kill -INT").isTrue();
    }

    private static Process launch(List<String> args, Path out, Path err) throws IOException {
        List<String> command = new ArrayList<>();
        if (sigintIgnored()) {
            // A build started in the background of a script ignores SIGINT, and so would the sandbox it starts: it
            // would never see the test's Ctrl-C. env (coreutils 8.31+) gives the sandbox the default action back.
            command.addAll(List.of("env", "--default-signal=INT"));
        }
        command.add(JobSources.REPOSITORY.resolve("bin/streaming-lstm").toString());
        command.addAll(args);
        return new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    }

    /** Whether this process ignores SIGINT: bit 2 of {@code SigIgn} in {@code /proc/self/status}. */
    private static boolean sigintIgnored() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return false;
        }
        return Files.readAllLines(status).stream().filter(line -> line.startsWith("SigIgn:"))
                .anyMatch(line -> (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & 0b10) != 0);
    }

    /** The one run folder in {@code runs} once its endpoints are written (the job is up), else null. */
    private static Path runFolder(Path runs) throws IOException {
        if (!Files.isDirectory(runs)) {
            return null;
        }
        try (Stream<Path> dirs = Files.list(runs)) {
            return dirs.filter(dir -> Files.exists(dir.resolve("endpoints.properties"))).findFirst().orElse(null);
        }
    }

    private static Map<String, String> endpoints(Path run) throws IOException {
        Path file = run.resolve("endpoints.properties");
        if (!Files.exists(file)) {
            return null;
        }
        Map<String, String> endpoints = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] parts = line.split("=", 2);
            endpoints.put(parts[0], parts[1]);
        }
        return endpoints.size() == 3 ? endpoints : null;
    }

    private static boolean hasCheckpoint(Path checkpoints) throws IOException {
        try (Stream<Path> files = Files.walk(checkpoints, 3)) {
            return files.anyMatch(f -> f.getFileName().toString().equals("_metadata"));
        }
    }

    private interface Probe<T> {
        /** The value once there, else null or false. */
        T get() throws Exception;
    }

    private static <T> T await(String what, Probe<T> probe) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
        while (true) {
            T value = probe.get();
            if (value != null && !Boolean.FALSE.equals(value)) {
                return value;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 4 minutes: " + what);
            }
            Thread.sleep(500);
        }
    }
}
