package dev.streaminglstm.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import dev.streaminglstm.schema.SchemaHistory;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/**
 * The on-disk form of a manifest: Avro's JSON encoding of {@link ModelManifest}, pretty-printed.
 *
 * <p>A manifest is read from a store that others can write to, so it is data to check, never trusted: the document
 * is bounded in size before it is read whole ({@link #MAX_BYTES}; a real one is about 1 KiB), walked once for its
 * nesting depth and the length of every string and number, and only then decoded (into generated classes of a
 * fixed schema: nothing in the document chooses a class), and its counts and sizes must be possible.
 */
final class ManifestJson {

    /** Largest manifest read; a real one is about a kilobyte. */
    static final int MAX_BYTES = 1 << 20;
    /** Deepest nesting of objects and arrays; the schema needs three. */
    static final int MAX_DEPTH = 16;
    /** Longest string value; the longest a real manifest holds is its 64-character checksum. */
    static final int MAX_STRING_CHARS = 1 << 16;
    /** Longest field name or map key. */
    static final int MAX_NAME_CHARS = 1 << 10;
    /** Longest number, in characters. */
    static final int MAX_NUMBER_CHARS = 64;

    private static final JsonFactory JSON = new JsonFactory();
    /** Every schema a stored manifest can have been written with, newest first. */
    private static final List<Schema> WRITERS =
            newestFirst(SchemaHistory.writerSchemas(ModelManifest.getClassSchema()));

    private ManifestJson() {}

    private static List<Schema> newestFirst(List<Schema> oldestFirst) {
        List<Schema> schemas = new ArrayList<>(oldestFirst);
        Collections.reverse(schemas);
        return List.copyOf(schemas);
    }

    static byte[] encode(ModelManifest manifest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            JsonEncoder encoder =
                    EncoderFactory.get().jsonEncoder(ModelManifest.getClassSchema(), out, true);
            new SpecificDatumWriter<>(ModelManifest.class).write(manifest, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a manifest into memory", e);
        }
        return out.toByteArray();
    }

    /**
     * Decodes a manifest: at most {@link #MAX_BYTES} of JSON (read at most one byte more than that), within the
     * limits above, whose counts and sizes are not negative. Anything else becomes an IOException saying what.
     */
    static ModelManifest decode(byte[] json) throws IOException {
        if (json.length > MAX_BYTES) {
            throw new IOException("it is larger than the " + MAX_BYTES + " bytes a manifest may have");
        }
        requireWithinLimits(json);
        ModelManifest manifest = null;
        AvroRuntimeException newest = null;
        // Avro's JSON decoder fills no defaults: a manifest of an earlier release is read with the schema it was
        // written with, resolved to the current one; the newest that reads it wins
        for (Schema writer : WRITERS) {
            try {
                manifest = new SpecificDatumReader<ModelManifest>(writer, ModelManifest.getClassSchema())
                        .read(null, DecoderFactory.get().jsonDecoder(writer, new ByteArrayInputStream(json)));
                break;
            } catch (AvroRuntimeException e) {
                newest = newest == null ? e : newest;
            }
        }
        if (manifest == null) {
            throw new IOException(newest.getMessage(), newest);
        }
        requirePossible(manifest);
        return manifest;
    }

    /** Walks the document once, token by token (no recursion), before anything is built from it. */
    private static void requireWithinLimits(byte[] json) throws IOException {
        int depth = 0;
        try (JsonParser parser = JSON.createParser(json)) {
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                switch (token) {
                    case START_OBJECT, START_ARRAY -> {
                        if (++depth > MAX_DEPTH) {
                            throw new IOException("it nests deeper than " + MAX_DEPTH + " levels");
                        }
                    }
                    case END_OBJECT, END_ARRAY -> depth--;
                    case FIELD_NAME -> requireLength(parser, MAX_NAME_CHARS, "a field name");
                    case VALUE_STRING -> requireLength(parser, MAX_STRING_CHARS, "a string");
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> requireLength(parser, MAX_NUMBER_CHARS, "a number");
                    default -> { }
                }
            }
        }
    }

    private static void requireLength(JsonParser parser, int max, String what) throws IOException {
        int length = parser.getTextLength();
        if (length > max) {
            throw new IOException("it holds " + what + " of " + length + " characters, more than " + max);
        }
    }

    /** Counts and sizes a manifest can have: none negative, a model of at least one unit and layer. */
    private static void requirePossible(ModelManifest manifest) throws IOException {
        requireAtLeast("version", manifest.getVersion(), 0);
        if (manifest.getParentVersion() != null) {
            requireAtLeast("parentVersion", manifest.getParentVersion(), 0);
        }
        requireAtLeast("tokensTrained", manifest.getTokensTrained(), 0);
        requireAtLeast("windowsTrained", manifest.getWindowsTrained(), 0);
        requireAtLeast("skippedSteps", manifest.getSkippedSteps(), 0);
        requireAtLeast("trainingPrequentialTokens", manifest.getTrainingPrequentialTokens(), 0);
        requireAtLeast("parametersBytes", manifest.getParametersBytes(), 0);
        requireAtLeast("formatVersion", manifest.getFormatVersion(), 1);
        ModelShape shape = manifest.getShape();
        requireAtLeast("shape.vocabSize", shape.getVocabSize(), 1);
        requireAtLeast("shape.embedSize", shape.getEmbedSize(), 1);
        requireAtLeast("shape.hiddenSize", shape.getHiddenSize(), 1);
        requireAtLeast("shape.layers", shape.getLayers(), 1);
        requireAtLeast("shape.conditioningSize", shape.getConditioningSize(), 0);
    }

    private static void requireAtLeast(String field, long value, long min) throws IOException {
        if (value < min) {
            throw new IOException(field + " is " + value + ", below " + min);
        }
    }
}
