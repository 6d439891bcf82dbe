package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.registry.SchemaRegistryServer;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueEncoder;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code produce} and {@code tail} against a real in-JVM Kafka broker. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ProduceAndTailITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    private static final Pattern PRODUCED = Pattern.compile(
            "records=(\\d+) bytes=(\\d+) documents=(\\d+) streams=(\\d+) topic=(\\S+) next_sequence=(\\d+)");

    /** The registry of the CONFLUENT cases. */
    private static SchemaRegistryServer registry;

    @TempDir
    Path dir;

    @BeforeAll
    static void startRegistry() throws IOException {
        registry = SchemaRegistryServer.start();
    }

    @AfterAll
    static void stopRegistry() {
        if (registry != null) {
            registry.close();
        }
    }

    @Test
    void produceAndTailWithConfluentFramingRegisterAndLookUpThroughTheRegistry() throws Exception {
        Path a = Files.writeString(dir.resolve("a.txt"), "erste Zeile\n\nzweite Zeile\n", StandardCharsets.UTF_8);
        KAFKA.createTopics(1, "produce-confluent", "tail-confluent");
        ValueFormat format = ValueFormat.confluent(registry.confluentUrl());

        CliRun produce = CliRun.of("produce", a.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--topic", "produce-confluent", "--streams", "1", "--stream-prefix", "c-",
                "--wire-format", "confluent", "--schema-registry-url", registry.confluentUrl());

        assertThat(produce.exitCode()).as(produce.err()).isZero();
        ValueDecoder<TextEvent> events = format.decoder(TextEvent.class);
        List<String> texts = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : KAFKA.consume("produce-confluent", 2, Duration.ofSeconds(30))) {
            assertThat(record.value()[0]).as("the Confluent magic byte").isZero();
            TextEvent event = events.decode(record.value());
            assertThat(event.getStreamId()).isEqualTo("c-0");
            texts.add(event.getText());
        }
        assertThat(texts).containsExactly("erste Zeile", "zweite Zeile");

        ValueEncoder<Prediction> predictions = format.encoder(Prediction.class, "tail-confluent");
        KAFKA.produce("tail-confluent", WireFormat.key("s1"), predictions.encode(prediction("s1", 1, 0.5)));
        KAFKA.produce("tail-confluent", WireFormat.key("s1"), WireFormat.value(prediction("s1", 2, 0.5)));
        KAFKA.produce("tail-confluent", WireFormat.key("s2"), predictions.encode(noModel("s2", 7)));
        CliRun tail = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "tail-confluent",
                "--from-beginning", "--max", "2", "--wire-format", "CONFLUENT",
                "--schema-registry-url", registry.confluentUrl());

        assertThat(tail.exitCode()).as(tail.err()).isZero();
        assertThat(tail.outLines()).containsExactly(
                "s1 #1  v12  'e' 62.5%  '\\n' 25.0%  -> \"en\\tder \\\"Welt\\\"\"  surprise 0.50 bits",
                "s2 #7  (no model published yet)");
        assertThat(tail.err()).contains("not the Confluent wire format's magic byte 00")
                .contains("2 printed, 0 repeats dropped, 1 undecodable");
    }

    @Test
    void wireFormatFlagsThatDoNotGoTogetherAreOneLineAndExitCode2() {
        CliRun noUrl = CliRun.of("produce", "--demo", "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--wire-format", "CONFLUENT");
        CliRun unusedUrl = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--schema-registry-url", registry.confluentUrl());
        CliRun unknown = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--wire-format", "json");

        assertThat(noUrl.exitCode()).isEqualTo(2);
        assertThat(noUrl.errLines()).singleElement().asString().isEqualTo("streaming-lstm produce: "
                + "--schema-registry-url: required with --wire-format CONFLUENT (see streaming-lstm produce --help)");
        assertThat(unusedUrl.exitCode()).isEqualTo(2);
        assertThat(unusedUrl.errLines()).singleElement().asString().contains(
                "--schema-registry-url: used with --wire-format CONFLUENT only, not SINGLE_OBJECT");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).singleElement().asString()
                .contains("unknown wire format 'json': choose one of SINGLE_OBJECT, CONFLUENT");
    }

    @Test
    void produceSendsEveryDocumentOfEveryFileOnNamedNumberedStreams() throws IOException {
        List<String> first = List.of("Grüße aus Köln, ½ €.", "日本語のテキストです。\nzweite Zeile", "emoji 😀🚀 end");
        List<String> second = List.of("Ελληνικά κείμενα", "plain ascii text, a bit longer than the others");
        Path a = Files.writeString(dir.resolve("a.txt"), String.join("\n\n", first) + "\n", StandardCharsets.UTF_8);
        Path b = Files.writeString(dir.resolve("b.txt"), String.join("\n\n\n", second), StandardCharsets.UTF_8);
        KAFKA.createTopics(3, "produce-files");

        CliRun run = CliRun.of("produce", a.toString(), b.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--topic", "produce-files", "--streams", "2", "--chunk-bytes", "8", "--stream-prefix", "web-",
                "--first-sequence", "1000");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher summary = PRODUCED.matcher(run.lastLine());
        assertThat(summary.matches()).as(run.out()).isTrue();
        int records = Integer.parseInt(summary.group(1));
        List<String> documents = new ArrayList<>(first);
        documents.addAll(second);
        assertThat(Long.parseLong(summary.group(2))).isEqualTo(
                documents.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum());
        assertThat(summary.group(3)).isEqualTo("5");
        assertThat(summary.group(6)).isEqualTo(Long.toString(1000 + records));
        assertThat(run.errLines()).as("stderr, not a terminal").last().asString()
                .matches("produce: done, " + summary.group(2) + " B in \\d+\\.\\d s, .*B/s");

        Map<String, List<TextEvent>> byStream = new LinkedHashMap<>();
        List<ConsumerRecord<byte[], byte[]>> sent = KAFKA.consume("produce-files", records, Duration.ofSeconds(30));
        assertThat(sent).hasSize(records);
        for (ConsumerRecord<byte[], byte[]> record : sent) {
            TextEvent event = TextEvent.getDecoder().decode(record.value());
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(event.getStreamId());
            assertThat(event.getText().getBytes(StandardCharsets.UTF_8).length).isBetween(1, 8);
            byStream.computeIfAbsent(event.getStreamId(), id -> new ArrayList<>()).add(event);
        }
        assertThat(byStream).containsOnlyKeys("web-0", "web-1");
        List<String> received = new ArrayList<>();
        for (List<TextEvent> stream : byStream.values()) {
            stream.sort((x, y) -> Long.compare(x.getSequenceNumber(), y.getSequenceNumber()));
            assertThat(stream.get(0).getSequenceNumber()).isEqualTo(1000);
            assertThat(stream.get(0).getStartsDocument()).isTrue();
            StringBuilder document = null;
            for (TextEvent event : stream) {
                if (event.getStartsDocument()) {
                    if (document != null) {
                        received.add(document.toString());
                    }
                    document = new StringBuilder();
                }
                document.append(event.getText());
            }
            received.add(document.toString());
        }
        assertThat(received).containsExactlyInAnyOrderElementsOf(documents);
    }

    @Test
    void produceSendsStandardInputThroughTheLauncher() throws Exception {
        Path launcher = Path.of(System.getProperty("user.dir")).resolveSibling("bin").resolve("streaming-lstm");
        assertThat(launcher).as("the launcher, run from the module folder").isExecutable();
        KAFKA.createTopics(1, "produce-stdin");
        Process process = new ProcessBuilder(launcher.toString(), "produce", "-", "--split", "lines",
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "produce-stdin", "--streams", "1")
                .redirectError(ProcessBuilder.Redirect.PIPE)
                .start();
        String out;
        CompletableFuture<String> err;
        try {
            process.getOutputStream().write("first line\nsecond line\n".getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            err = CompletableFuture.supplyAsync(() -> read(process.getErrorStream()));
            out = read(process.getInputStream());
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            process.destroyForcibly();
        }

        assertThat(process.exitValue()).as(err.get()).isZero();
        assertThat(out.strip()).isEqualTo(
                "records=2 bytes=21 documents=2 streams=1 topic=produce-stdin next_sequence=2");
        List<String> texts = KAFKA.consume("produce-stdin", 2, Duration.ofSeconds(30)).stream()
                .map(r -> decodeText(r.value())).toList();
        assertThat(texts).containsExactly("first line", "second line");
    }

    @Test
    void produceIntoAMissingTopicIsOneLineAndExitCode1() throws IOException {
        Path a = Files.writeString(dir.resolve("a.txt"), "text");

        CliRun run = CliRun.of("produce", a.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--topic", "no-such-topic", "--kafka-timeout-ms", "5000");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().contains("has no topic 'no-such-topic'");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void tailPrintsEachPredictionOnceWithItsFields() {
        KAFKA.createTopics(2, "tail-predictions");
        KAFKA.produce("tail-predictions", WireFormat.key("s1"), WireFormat.value(prediction("s1", 1, 0.5)));
        KAFKA.produce("tail-predictions", WireFormat.key("s1"), WireFormat.value(prediction("s1", 1, 0.5)));
        KAFKA.produce("tail-predictions", WireFormat.key("s2"), WireFormat.value(noModel("s2", 7)));
        KAFKA.produce("tail-predictions", WireFormat.key("s1"), WireFormat.value(Prediction.newBuilder(
                prediction("s1", 2, null)).setDraft(true).build()));
        KAFKA.produce("tail-predictions", WireFormat.key("s1"), "not avro".getBytes(StandardCharsets.UTF_8));
        KAFKA.produce("tail-predictions", WireFormat.key("s1"), WireFormat.value(prediction("s1", 1, 0.5)));
        KAFKA.produce("tail-predictions", WireFormat.key("s1"), WireFormat.value(Prediction.newBuilder(
                prediction("s1", 3, 1.25)).setScoredTokens(8).setScoredBits(20.0).setStreamBpc(2.25).build()));

        CliRun all = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic",
                "tail-predictions", "--from-beginning", "--max", "4");
        CliRun oneStream = CliRun.of("tail", "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic",
                "tail-predictions", "--from-beginning", "--stream", "s1", "--max", "3");

        assertThat(all.exitCode()).as(all.err()).isZero();
        assertThat(all.outLines()).containsExactlyInAnyOrder(
                "s1 #1  v12  'e' 62.5%  '\\n' 25.0%  -> \"en\\tder \\\"Welt\\\"\"  surprise 0.50 bits",
                "s2 #7  (no model published yet)",
                "s1 #2  v12 (draft)  'e' 62.5%  '\\n' 25.0%  -> \"en\\tder \\\"Welt\\\"\"  surprise -",
                "s1 #3  v12  'e' 62.5%  '\\n' 25.0%  -> \"en\\tder \\\"Welt\\\"\"  surprise 1.25 bits"
                        + "  bpc 2.50 over 8 tokens, stream 2.25");
        assertThat(all.err()).contains("skipped tail-predictions/").contains("not a Prediction")
                .contains("4 printed, 2 repeats dropped, 1 undecodable");
        assertThat(oneStream.outLines()).extracting(line -> line.substring(0, 5))
                .containsExactly("s1 #1", "s1 #2", "s1 #3");
    }

    @Test
    void tailWithoutFromBeginningShowsOnlyNewPredictions() throws Exception {
        KAFKA.createTopics(1, "tail-new");
        KAFKA.produce("tail-new", WireFormat.key("old"), WireFormat.value(prediction("old", 1, null)));

        CompletableFuture<CliRun> tail = CompletableFuture.supplyAsync(() -> CliRun.of("tail",
                "--bootstrap-servers", KAFKA.bootstrapServers(), "--topic", "tail-new", "--max", "1"));
        for (long sequence = 100; !tail.isDone(); sequence++) {
            KAFKA.produce("tail-new", WireFormat.key("new"), WireFormat.value(prediction("new", sequence, null)));
            Thread.sleep(200);
        }

        CliRun run = tail.get();
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.outLines()).singleElement().asString().startsWith("new #");
    }

    @Test
    void tailOfDeadLettersShowsWhereEachCameFromAndWhy() throws IOException {
        KAFKA.createTopics(1, "tail-dlq");
        DeadLetter tooLarge = DeadLetter.newBuilder()
                .setTopic("text-in").setPartition(2).setOffset(41)
                .setKey(ByteBuffer.wrap(WireFormat.key("doc-3"))).setValue(ByteBuffer.wrap(new byte[70_000]))
                .setReason("value of 70000 bytes is above --max-record-bytes 65536").setReasonCode("TOO_LARGE")
                .setRejectedAt(Instant.parse("2025-01-02T03:04:05Z"))
                .build();
        KAFKA.produce("tail-dlq", WireFormat.key("doc-3"), WireFormat.value(tooLarge));
        KAFKA.produce("tail-dlq", WireFormat.key("doc-3"), WireFormat.value(tooLarge));
        KAFKA.produce("tail-dlq", null, WireFormat.value(DeadLetter.newBuilder(tooLarge).setOffset(42).setKey(null)
                .setValue(ByteBuffer.wrap("{".getBytes(StandardCharsets.UTF_8)))
                .setReason("not Avro").setReasonCode("BAD_AVRO").build()));
        KAFKA.produce("tail-dlq", WireFormat.key("doc-3"), WireFormat.value(DeadLetter.newBuilder(tooLarge)
                .setOffset(43).setValue(ByteBuffer.wrap(new byte[1_000])).setTruncated(true)
                .setOriginalKeySize(5).setOriginalValueSize(1_100_000).build()));
        // written by a job before the dead letter's schema had the truncation fields
        Schema first = SchemaHistory.versions(DeadLetter.getClassSchema()).get(0);
        GenericRecord old = new GenericData.Record(first);
        old.put("topic", "text-in");
        old.put("partition", 0);
        old.put("offset", 7L);
        old.put("recordTimestamp", -1L);
        old.put("key", null);
        old.put("value", ByteBuffer.wrap(new byte[3]));
        old.put("reason", "record has no key");
        old.put("reasonCode", "MISSING_STREAM_ID");
        old.put("rejectedAt", 0L);
        KAFKA.produce("tail-dlq", null, WireFormat.bytes(
                new BinaryMessageEncoder<GenericRecord>(GenericData.get(), first).encode(old)));

        CliRun run = CliRun.of("tail", "--dead-letters", "--topic", "tail-dlq", "--from-beginning", "--max", "4",
                "--bootstrap-servers", KAFKA.bootstrapServers());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("skipped");
        assertThat(run.outLines()).containsExactly(
                "text-in/2@41  TOO_LARGE: value of 70000 bytes is above --max-record-bytes 65536  "
                        + "(key \"doc-3\", value 70000 bytes, rejected 2025-01-02T03:04:05Z)",
                "text-in/2@42  BAD_AVRO: not Avro  (key none, value 1 bytes, rejected 2025-01-02T03:04:05Z)",
                "text-in/2@43  TOO_LARGE: value of 70000 bytes is above --max-record-bytes 65536  "
                        + "(key \"doc-3\", value 1000 of 1100000 bytes, rejected 2025-01-02T03:04:05Z)",
                "text-in/0@7  MISSING_STREAM_ID: record has no key  (key none, value 3 bytes, rejected -)");
    }

    private static Prediction prediction(String stream, long sequence, Double surprise) {
        return Prediction.newBuilder()
                .setStreamId(stream).setSequenceNumber(sequence).setBytePosition(sequence * 10)
                .setStatus(PredictionStatus.OK).setModelVersion(12L)
                .setTopK(List.of(new TokenProbability((int) 'e', "e", 0.625f),
                        new TokenProbability((int) '\n', "\\n", 0.25f)))
                .setContinuation("en\tder \"Welt\"")
                .setSurpriseBits(surprise)
                .setEventTime(Instant.parse("2025-01-02T03:04:05Z"))
                .setEmittedAt(Instant.parse("2025-01-02T03:04:06Z"))
                .build();
    }

    private static Prediction noModel(String stream, long sequence) {
        return Prediction.newBuilder(prediction(stream, sequence, null))
                .setStatus(PredictionStatus.NO_MODEL).setModelVersion(null).setTopK(List.of()).setContinuation("")
                .build();
    }

    /** The text of a {@code TextEvent} record's value. */
    static String decodeText(byte[] value) {
        try {
            return TextEvent.getDecoder().decode(value).getText();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static String read(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
