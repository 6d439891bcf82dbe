package dev.streaminglstm.schema.wire;

import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.wire.SchemaRegistryClient.RegisteredSchema;
import dev.streaminglstm.schema.wire.ValueRejected.Reason;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Reads record values of one generated type {@code T} in one {@link Encoding}, strictly: the framing is checked,
 * the writer schema is found (among the known ones for {@code SINGLE_OBJECT}, in the schema registry by id for
 * {@code CONFLUENT}), the body is checked against it by {@link StrictAvroBody}, and only then is the record decoded,
 * resolving the writer schema into the current schema of {@code T}, as {@link SchemaHistory#decoder} does.
 *
 * <p>Bytes that are not such a record give a {@link ValueRejected}, never another exception: BAD_AVRO (framing,
 * cut, garbled, extra bytes), UNKNOWN_SCHEMA (a writer schema that is not known, not in the registry, or that the
 * current {@code T} cannot read) or INVALID_UTF8. A registry that cannot be asked gives a
 * {@link SchemaRegistryException}: that is no fault of the record.
 *
 * <p>Not thread-safe: one instance per reading thread.
 */
public final class ValueDecoder<T extends SpecificRecordBase> {

    private final Class<T> type;
    private final Schema reader;
    private final String readerName;
    private final SpecificData model;
    private final Encoding encoding;
    private final Map<Long, Schema> knownWriters;
    private final SchemaRegistryClient registry;
    private final Map<Integer, Verdict> registryWriters = new HashMap<>();
    private final Map<Schema, SpecificDatumReader<T>> readers = new HashMap<>();
    private final StrictAvroBody body;
    private BinaryDecoder reuse;

    private ValueDecoder(Class<T> type, String readerName, Encoding encoding, Collection<Schema> writers,
            SchemaRegistryClient registry) {
        this.type = type;
        this.model = SpecificData.getForClass(type);
        this.reader = model.getSchema(type);
        this.readerName = readerName;
        this.encoding = encoding;
        this.registry = registry;
        this.body = new StrictAvroBody(type.getSimpleName());
        this.knownWriters = new LinkedHashMap<>();
        for (Schema writer : writers) {
            String problem = unreadable(writer);
            if (problem != null) {
                throw new IllegalArgumentException(String.format("the current %s cannot read writer schema %016X: %s",
                        type.getSimpleName(), SchemaHistory.fingerprint(writer), problem));
            }
            knownWriters.put(SchemaHistory.fingerprint(writer), writer);
        }
    }

    /** A reader of single-object values written with any version in the {@link SchemaHistory} of {@code type}. */
    public static <T extends SpecificRecordBase> ValueDecoder<T> singleObject(Class<T> type) {
        return singleObject(type, SchemaHistory.writerSchemas(SpecificData.getForClass(type).getSchema(type)),
                "reader");
    }

    /**
     * A reader of single-object values written with one of {@code writers}; {@code readerName} names the reader in
     * reasons ("none of the schemas this job knows", "deploy the job with that schema first").
     *
     * @throws IllegalArgumentException when the current {@code type} cannot read one of the writers
     */
    public static <T extends SpecificRecordBase> ValueDecoder<T> singleObject(Class<T> type,
            Collection<Schema> writers, String readerName) {
        return new ValueDecoder<>(type, readerName, Encoding.SINGLE_OBJECT, writers, null);
    }

    /** A reader of Confluent-framed values whose writer schemas it looks up in {@code registry}. */
    public static <T extends SpecificRecordBase> ValueDecoder<T> confluent(Class<T> type,
            SchemaRegistryClient registry) {
        return new ValueDecoder<>(type, "reader", Encoding.CONFLUENT, List.of(),
                Objects.requireNonNull(registry, "registry"));
    }

    /** The encoding this decoder reads. */
    public Encoding encoding() {
        return encoding;
    }

    /** Fingerprints of the single-object writer schemas it reads, in the order given; none for CONFLUENT. */
    public List<Long> knownFingerprints() {
        return List.copyOf(knownWriters.keySet());
    }

    /**
     * The record {@code value} holds.
     *
     * @throws ValueRejected          when the bytes are not such a record, with the reason
     * @throws SchemaRegistryException when the registry cannot be asked for the writer schema (CONFLUENT only)
     */
    public T decode(byte[] value) throws ValueRejected, SchemaRegistryException {
        Schema writer = encoding == Encoding.CONFLUENT ? confluentWriter(value) : singleObjectWriter(value);
        int start = encoding.headerBytes();
        body.check(value, start, writer);
        try {
            reuse = DecoderFactory.get().binaryDecoder(value, start, value.length - start, reuse);
            return readerOf(writer).read(null, reuse);
        } catch (Exception e) {
            throw badAvro("Avro cannot decode it: " + e);
        }
    }

    /** The writer schema that a single-object header names. */
    private Schema singleObjectWriter(byte[] value) throws ValueRejected {
        if (value.length < Encoding.SINGLE_OBJECT.headerBytes()) {
            throw badAvro("value has " + value.length + " bytes, fewer than a single-object encoding header");
        }
        if (value[0] != (byte) 0xC3 || value[1] != (byte) 0x01) {
            throw badAvro(String.format("value starts with %02X %02X, not the Avro single-object marker C3 01",
                    value[0], value[1]));
        }
        long fingerprint = ByteBuffer.wrap(value, 2, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Schema writer = knownWriters.get(fingerprint);
        if (writer == null) {
            throw new ValueRejected(Reason.UNKNOWN_SCHEMA, String.format(
                    "schema fingerprint %016X is none of the %d %s schemas this %s knows (%s; current %016X): "
                            + "if it is a newer %s, deploy the %s with that schema first, then its producers, "
                            + "and replay this record",
                    fingerprint, knownWriters.size(), type.getSimpleName(), readerName,
                    knownWriters.keySet().stream().map(f -> String.format("%016X", f))
                            .collect(Collectors.joining(", ")),
                    SchemaHistory.fingerprint(reader), type.getSimpleName(), readerName));
        }
        return writer;
    }

    /** The writer schema that a Confluent header's id names in the registry. */
    private Schema confluentWriter(byte[] value) throws ValueRejected, SchemaRegistryException {
        if (value.length < Encoding.CONFLUENT.headerBytes()) {
            throw badAvro("value has " + value.length + " bytes, fewer than a Confluent wire format header");
        }
        if (value[0] != 0) {
            throw badAvro(String.format("value starts with %02X, not the Confluent wire format's magic byte 00",
                    value[0]));
        }
        int id = ByteBuffer.wrap(value, 1, 4).order(ByteOrder.BIG_ENDIAN).getInt();
        Verdict verdict = registryWriters.get(id);
        if (verdict == null) {
            verdict = registryWriter(id);
            if (verdict.lasting()) {
                registryWriters.put(id, verdict); // a registry never changes the schema of an id
            }
        }
        if (verdict.problem() != null) {
            throw new ValueRejected(Reason.UNKNOWN_SCHEMA, verdict.problem());
        }
        return verdict.writer();
    }

    /** A writer schema this decoder reads, or why not; final unless the id may yet be registered. */
    private record Verdict(Schema writer, String problem, boolean lasting) {}

    /** Whether this decoder reads the registry's schema {@code id}. */
    private Verdict registryWriter(int id) throws SchemaRegistryException {
        Optional<RegisteredSchema> registered = registry.schemaById(id);
        if (registered.isEmpty()) {
            return new Verdict(null, "schema id " + id + " is not in the schema registry " + registry.url(), false);
        }
        String from = "schema id " + id + " of " + registry.url();
        if (!"AVRO".equalsIgnoreCase(registered.get().type())) {
            return new Verdict(null, from + " is a " + registered.get().type() + " schema, not Avro", true);
        }
        Schema writer;
        try {
            writer = new Schema.Parser().parse(registered.get().text());
        } catch (RuntimeException e) {
            return new Verdict(null, from + " is not a valid Avro schema: " + e.getMessage(), true);
        }
        String problem = unreadable(writer);
        return problem == null ? new Verdict(writer, null, true) : new Verdict(null, from + " ("
                + writer.getFullName() + ") is not a " + type.getSimpleName() + " the current schema can read: "
                + problem, true);
    }

    /** Why the current schema cannot read, or this decoder cannot check, values of {@code writer}; null if it can. */
    private String unreadable(Schema writer) {
        var compatibility = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
        if (compatibility.getType() != SchemaCompatibilityType.COMPATIBLE) {
            return compatibility.getResult().getIncompatibilities().stream()
                    .map(i -> i.getType() + " at " + i.getLocation() + " (" + i.getMessage() + ")")
                    .collect(Collectors.joining("; "));
        }
        return StrictAvroBody.unsupported(writer);
    }

    private SpecificDatumReader<T> readerOf(Schema writer) {
        return readers.computeIfAbsent(writer, w -> new SpecificDatumReader<>(w, reader, model));
    }

    private ValueRejected badAvro(String message) {
        return new ValueRejected(Reason.BAD_AVRO, "not a " + type.getSimpleName() + ": " + message);
    }
}
