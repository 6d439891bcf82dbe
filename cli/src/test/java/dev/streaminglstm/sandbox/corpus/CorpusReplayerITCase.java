package dev.streaminglstm.sandbox.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.kafka.KafkaBrokerExtension;
import dev.streaminglstm.schema.TextEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The replayer writing into a real in-JVM broker. */
class CorpusReplayerITCase {

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = new KafkaBrokerExtension();

    @TempDir
    Path dir;

    private static List<TextEvent> read(String topic, long count) throws Exception {
        List<TextEvent> events = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : KAFKA.consume(topic, (int) count, Duration.ofSeconds(30))) {
            TextEvent event = TextEvent.getDecoder().decode(record.value());
            assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo(event.getStreamId());
            events.add(event);
        }
        return events;
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void everyDocumentArrivesWholeOnNumberedStreams() throws Exception {
        Path file = dir.resolve("docs.txt");
        List<String> documents = List.of("Grüße aus Köln, ½ €.", "日本語のテキストです。", "emoji 😀🚀 end",
                "Ελληνικά κείμενα", "plain ascii text that is a bit longer than the others", "x");
        Files.writeString(file, String.join("\n\n", documents), StandardCharsets.UTF_8);
        KAFKA.createTopics(3, "replay-all");
        Instant time = Instant.parse("2025-01-02T03:04:05Z");

        CorpusReplayer replayer;
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            replayer = CorpusReplayer.builder(producer, "replay-all", Corpus.file(file, Corpus.Split.PARAGRAPHS))
                    .streams(2).chunkBytes(8).firstSequenceNumber(100).clock(Clock.fixed(time, ZoneOffset.UTC))
                    .build();
            replayer.run();
        }

        List<TextEvent> events = read("replay-all", replayer.recordsSent());
        assertThat(events).hasSize((int) replayer.recordsSent());
        assertThat(replayer.documentsStarted()).isEqualTo(documents.size());
        assertThat(replayer.bytesSent()).isEqualTo(
                documents.stream().mapToLong(d -> d.getBytes(StandardCharsets.UTF_8).length).sum());

        Map<String, List<TextEvent>> byStream = new LinkedHashMap<>();
        events.forEach(e -> byStream.computeIfAbsent(e.getStreamId(), id -> new ArrayList<>()).add(e));
        assertThat(byStream).containsOnlyKeys("doc-0", "doc-1");
        List<String> rebuilt = new ArrayList<>();
        for (List<TextEvent> stream : byStream.values()) {
            StringBuilder current = null;
            for (int i = 0; i < stream.size(); i++) {
                TextEvent e = stream.get(i);
                assertThat(e.getSequenceNumber()).isEqualTo(100 + i);
                assertThat(e.getEventTime()).isEqualTo(time);
                assertThat(e.getFeatures()).isNull();
                assertThat(e.getText().getBytes(StandardCharsets.UTF_8).length).isBetween(1, 8);
                if (i == 0) {
                    assertThat(e.getStartsDocument()).as("a stream's first chunk starts a document").isTrue();
                }
                if (e.getStartsDocument()) {
                    if (current != null) {
                        rebuilt.add(current.toString());
                    }
                    current = new StringBuilder();
                }
                current.append(e.getText());
            }
            rebuilt.add(current.toString());
        }
        assertThat(rebuilt).containsExactlyInAnyOrderElementsOf(documents);
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aRepeatingReplayRunsUntilStopped() throws Exception {
        KAFKA.createTopics(1, "replay-stop");
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            CorpusReplayer replayer = CorpusReplayer.builder(producer, "replay-stop", Corpus.europarl())
                    .streams(3).chunkBytes(32).repeat(true).rate(RateLimit.chunksPerSecond(5_000)).build();
            Thread thread = new Thread(replayer, "replayer");
            thread.start();
            while (replayer.recordsSent() < 200 && thread.isAlive()) {
                Thread.sleep(10);
            }
            replayer.stop();
            thread.join(TimeUnit.SECONDS.toMillis(30));

            assertThat(thread.isAlive()).isFalse();
            long sent = replayer.recordsSent();
            assertThat(sent).isGreaterThanOrEqualTo(200);
            assertThat(read("replay-stop", sent)).hasSize((int) sent);
            assertThatThrownBy(replayer::run).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    @Timeout(value = 2, unit = TimeUnit.MINUTES)
    void aRepeatingReplayStartsTheCorpusOverWithNewDocumentsAndRisingSequenceNumbers() throws Exception {
        Path file = dir.resolve("small.txt");
        List<String> documents = List.of("first doc", "the second", "3rd");
        Files.writeString(file, String.join("\n", documents), StandardCharsets.UTF_8);
        KAFKA.createTopics(1, "replay-wrap");
        CorpusReplayer replayer;
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            replayer = CorpusReplayer.builder(producer, "replay-wrap", Corpus.file(file, Corpus.Split.LINES))
                    .streams(1).chunkBytes(4).repeat(true).build();
            Thread thread = new Thread(replayer, "replayer");
            thread.start();
            while (replayer.documentsStarted() < 3 * documents.size() + 2 && thread.isAlive()) {
                Thread.sleep(1);
            }
            replayer.stop();
            thread.join(TimeUnit.SECONDS.toMillis(30));
            assertThat(thread.isAlive()).isFalse();
        }

        List<TextEvent> events = read("replay-wrap", replayer.recordsSent());
        List<String> rebuilt = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            TextEvent e = events.get(i);
            assertThat(e.getSequenceNumber()).as("numbers go on across passes").isEqualTo(i);
            if (e.getStartsDocument()) {
                rebuilt.add("");
            }
            rebuilt.set(rebuilt.size() - 1, rebuilt.get(rebuilt.size() - 1) + e.getText());
        }
        assertThat(rebuilt.size()).as("more than three passes started").isGreaterThan(3 * documents.size());
        List<String> whole = rebuilt.subList(0, rebuilt.size() - 1); // the last may be cut by the stop
        for (int i = 0; i < whole.size(); i++) {
            assertThat(whole.get(i)).as("document %d: the corpus in order, over and over", i)
                    .isEqualTo(documents.get(i % documents.size()));
        }
    }

    @Test
    void repeatingACorpusWithoutDocumentsFails() throws Exception {
        Path empty = Files.writeString(dir.resolve("empty.txt"), "\n\n \n");
        try (Producer<byte[], byte[]> producer = KAFKA.newProducer()) {
            CorpusReplayer once = CorpusReplayer.builder(producer, "unused", Corpus.file(empty, Corpus.Split.LINES))
                    .build();
            once.run();
            assertThat(once.recordsSent()).isZero();

            CorpusReplayer repeating = CorpusReplayer.builder(producer, "unused",
                    Corpus.file(empty, Corpus.Split.LINES)).repeat(true).build();
            assertThatThrownBy(repeating::run).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("has no documents");
        }
        try (Stream<String> none = Corpus.file(empty, Corpus.Split.PARAGRAPHS).documents()) {
            assertThat(none).isEmpty();
        }
    }
}
