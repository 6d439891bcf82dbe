package dev.streaminglstm.sandbox.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.schema.TextEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replay that goes on where another stopped: {@code skip} and the index header. */
class CorpusReplayerTest {

    private static final String INDEX = "replay-index";

    @TempDir
    Path dir;

    @Test
    void aReplayThatSkipsWhatAnotherSentSendsTheRestOfTheSameReplayIndexedFromThere() throws Exception {
        Corpus corpus = corpus();
        List<ProducerRecord<byte[], byte[]>> whole = replay(corpus, 0);
        assertThat(whole).hasSizeGreaterThan(20);

        for (int skip : new int[] {1, 7, 13, whole.size() - 1}) {
            List<ProducerRecord<byte[], byte[]>> rest = replay(corpus, skip);

            assertThat(rest).as("after skipping %d", skip).hasSize(whole.size() - skip);
            for (int i = 0; i < rest.size(); i++) {
                ProducerRecord<byte[], byte[]> expected = whole.get(skip + i);
                assertThat(rest.get(i).key()).isEqualTo(expected.key());
                assertThat(fields(rest.get(i))).isEqualTo(fields(expected));
                assertThat(index(rest.get(i))).isEqualTo(skip + i);
            }
        }
        assertThat(replay(corpus, whole.size() + 5)).as("skipping past the end").isEmpty();
    }

    private Corpus corpus() throws Exception {
        Path file = dir.resolve("docs.txt");
        Files.writeString(file, String.join("\n\n", "Grüße aus Köln, ½ €, und mehr Text.", "日本語のテキストです。",
                "emoji 😀🚀 end of it", "plain ascii text that is a bit longer than the others", "x"),
                StandardCharsets.UTF_8);
        return Corpus.file(file, Corpus.Split.PARAGRAPHS);
    }

    private static List<ProducerRecord<byte[], byte[]>> replay(Corpus corpus, long skip) {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        CorpusReplayer.builder(producer, "t", corpus).streams(3).chunkBytes(8).skip(skip).indexHeader(INDEX).build()
                .run();
        return producer.history();
    }

    /** What a record carries but its event time, which is the time of sending. */
    private static String fields(ProducerRecord<byte[], byte[]> record) throws Exception {
        TextEvent event = TextEvent.getDecoder().decode(record.value());
        return event.getStreamId() + " #" + event.getSequenceNumber() + " " + event.getStartsDocument() + " "
                + event.getText();
    }

    private static long index(ProducerRecord<byte[], byte[]> record) {
        return Long.parseLong(new String(record.headers().lastHeader(INDEX).value(), StandardCharsets.US_ASCII));
    }
}
