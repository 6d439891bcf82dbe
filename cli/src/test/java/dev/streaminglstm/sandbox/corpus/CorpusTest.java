package dev.streaminglstm.sandbox.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CorpusTest {

    private static List<String> europarl(int limit) {
        try (Stream<String> documents = Corpus.europarl().documents()) {
            return documents.limit(limit).toList();
        }
    }

    @Test
    void theExtractedEuroparlFileIsOnTheClassPathAndTheTestFrameworkIsNot() {
        assertThat(Corpus.class.getResource(Corpus.EUROPARL_RESOURCE)).isNotNull();
        assertThatThrownBy(() -> Class.forName("org.apache.lucene.tests.util.LuceneTestCase"))
                .isInstanceOf(ClassNotFoundException.class);
    }

    @Test
    void europarlDocumentsAreNonEmptyBodiesInManyLanguages() {
        long count;
        long withGreek;
        long withLatinExtended;
        try (Stream<String> documents = Corpus.europarl().documents()) {
            List<String> all = documents.toList();
            count = all.size();
            assertThat(all).allSatisfy(doc -> assertThat(doc).isNotBlank().doesNotContain("\t"));
            withGreek = all.stream().filter(doc -> doc.codePoints().anyMatch(c -> c >= 0x3B1 && c <= 0x3C9)).count();
            withLatinExtended = all.stream().filter(doc -> doc.codePoints().anyMatch(c -> c >= 0xC0 && c < 0x250))
                    .count();
        }
        assertThat(count).isGreaterThan(17_000);
        assertThat(withGreek).as("documents in Greek").isGreaterThan(100);
        assertThat(withLatinExtended).as("documents with accented Latin letters").isGreaterThan(count / 2);
    }

    @Test
    void europarlStartsOverOnEveryCall() {
        assertThat(europarl(3)).hasSize(3).isEqualTo(europarl(3));
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 5, 7, 64, 256})
    void chunksOfRealDocumentsNeverSplitACharacterAndJoinBackToTheDocument(int maxBytes) throws Exception {
        CharsetEncoder strict = StandardCharsets.UTF_8.newEncoder();
        for (String document : europarl(400)) {
            List<String> chunks = TextChunker.chunks(document, maxBytes);

            assertThat(String.join("", chunks)).isEqualTo(document);
            for (int i = 0; i < chunks.size(); i++) {
                String chunk = chunks.get(i);
                int bytes = strictUtf8(strict, chunk).remaining(); // throws for a chunk holding half a pair
                assertThat(bytes).isBetween(1, maxBytes);
                if (i + 1 < chunks.size()) {
                    int nextCharBytes = new String(Character.toChars(chunks.get(i + 1).codePointAt(0)))
                            .getBytes(StandardCharsets.UTF_8).length;
                    assertThat(bytes + nextCharBytes).as("chunks are as long as fits").isGreaterThan(maxBytes);
                }
            }
        }
    }

    @Test
    void chunkingKeepsFourByteCharactersWhole() throws Exception {
        String text = "a😀b€€ü𝄞";
        assertThat(TextChunker.chunks(text, 4)).containsExactly("a", "😀", "b€", "€", "ü", "𝄞");
        assertThat(TextChunker.chunks(text, 5)).containsExactly("a😀", "b€", "€ü", "𝄞");
        assertThat(TextChunker.chunks("", 4)).isEmpty();
        assertThatThrownBy(() -> TextChunker.chunks(text, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFileIsCutIntoParagraphsOrLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("docs.txt");
        Files.writeString(file, "\n\nfirst line\nstill first\n\n\n  \nsecond ¶ paragraph\n\nthird", StandardCharsets.UTF_8);

        try (Stream<String> paragraphs = Corpus.file(file, Corpus.Split.PARAGRAPHS).documents()) {
            assertThat(paragraphs).containsExactly("first line\nstill first", "second ¶ paragraph", "third");
        }
        try (Stream<String> lines = Corpus.file(file, Corpus.Split.LINES).documents()) {
            assertThat(lines).containsExactly("first line", "still first", "second ¶ paragraph", "third");
        }
    }

    @Test
    void aFileThatIsNotUtf8FailsNamingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("latin1.txt");
        Files.write(file, "ok\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));

        assertThatThrownBy(() -> {
            try (Stream<String> documents = Corpus.file(file, Corpus.Split.LINES).documents()) {
                documents.forEach(doc -> { });
            }
        }).isInstanceOf(UncheckedIOException.class).hasMessageContaining(file.toString());
        assertThatThrownBy(() -> Corpus.file(dir.resolve("missing.txt"), Corpus.Split.LINES).documents())
                .isInstanceOf(UncheckedIOException.class).hasMessageContaining("missing.txt");
    }

    private static ByteBuffer strictUtf8(CharsetEncoder encoder, String chunk) throws CharacterCodingException {
        return encoder.reset().encode(CharBuffer.wrap(chunk));
    }
}
