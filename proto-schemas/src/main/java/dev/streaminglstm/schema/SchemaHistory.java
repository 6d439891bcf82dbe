package dev.streaminglstm.schema;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Every released version of a topic record's schema (and of the model store's manifest), so that readers resolve
 * records written with any of them.
 *
 * <p>The versions of record {@code Name} are the resources {@code history/Name/v1.avsc}, {@code v2.avsc}, ... next
 * to this class (in {@code src/main/resources/dev/streaminglstm/schema/history/}), oldest first, numbered without
 * gaps; the newest is the current schema of {@code src/main/avro/Name.avsc}. To change a topic schema: add fields
 * only with defaults (or remove fields that have them), then copy the new {@code .avsc} to the next {@code vN.avsc}.
 * The tests of this module fail when the current schema is not the newest version or when a version is not both
 * backward- and forward-compatible with it. Deploy readers (the job) before writers (the producers).
 */
public final class SchemaHistory {

    private static final String ROOT = "history/";

    private SchemaHistory() {}

    /**
     * The released versions of the record schema named like {@code current}, oldest first.
     *
     * @throws IllegalStateException when it has no history or a version cannot be read
     */
    public static List<Schema> versions(Schema current) {
        List<Schema> versions = new ArrayList<>();
        for (int n = 1; ; n++) {
            String resource = resource(current, n);
            try (InputStream in = SchemaHistory.class.getResourceAsStream(resource)) {
                if (in == null) {
                    break;
                }
                versions.add(new Schema.Parser().parse(in));
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("cannot read schema version " + resource + ": " + e.getMessage(), e);
            }
        }
        if (versions.isEmpty()) {
            throw new IllegalStateException("no schema history for " + current.getFullName() + ": expected "
                    + resource(current, 1) + " beside " + SchemaHistory.class.getName());
        }
        return List.copyOf(versions);
    }

    /**
     * The released versions and the current schema (if it is not among them yet), each once, oldest first: every
     * writer schema a reader of {@code current} accepts.
     */
    public static List<Schema> writerSchemas(Schema current) {
        List<Schema> writers = new ArrayList<>(versions(current));
        long fingerprint = fingerprint(current);
        if (writers.stream().noneMatch(schema -> fingerprint(schema) == fingerprint)) {
            writers.add(current);
        }
        return List.copyOf(writers);
    }

    /**
     * A decoder of the single-object encoding of generated record class {@code type} that resolves a value written
     * with any of its {@link #writerSchemas} into the current schema; other fingerprints fail with Avro's
     * {@code MissingSchemaException}. Not thread-safe.
     */
    public static <T extends SpecificRecordBase> BinaryMessageDecoder<T> decoder(Class<T> type) {
        SpecificData model = SpecificData.getForClass(type);
        Schema current = model.getSchema(type);
        BinaryMessageDecoder<T> decoder = new BinaryMessageDecoder<>(model, current);
        writerSchemas(current).forEach(decoder::addSchema);
        return decoder;
    }

    /** The 64-bit fingerprint that the single-object encoding writes: CRC-64-AVRO of the parsing canonical form. */
    public static long fingerprint(Schema schema) {
        return SchemaNormalization.parsingFingerprint64(schema);
    }

    /** The resource path of version {@code n} of {@code schema}'s record, relative to this class. */
    static String resource(Schema schema, int n) {
        return ROOT + schema.getName() + "/v" + n + ".avsc";
    }
}
