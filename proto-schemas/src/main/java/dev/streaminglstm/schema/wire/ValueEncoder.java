package dev.streaminglstm.schema.wire;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * Writes record values of one generated type {@code T} in one {@link Encoding}, with the current schema of
 * {@code T} as the writer schema. A CONFLUENT encoder learns its schema's id from the registry when it is made, so
 * that encoding never waits for the network. Not thread-safe: one instance per writing thread.
 */
public final class ValueEncoder<T extends SpecificRecordBase> {

    private final Encoding encoding;
    private final BinaryMessageEncoder<T> singleObject;
    private final SpecificDatumWriter<T> writer;
    private final byte[] confluentHeader;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    private BinaryEncoder reuse;

    private ValueEncoder(Class<T> type, Encoding encoding, int schemaId) {
        SpecificData model = SpecificData.getForClass(type);
        Schema schema = model.getSchema(type);
        this.encoding = encoding;
        this.singleObject = new BinaryMessageEncoder<>(model, schema);
        this.writer = new SpecificDatumWriter<>(schema, model);
        this.confluentHeader = ByteBuffer.allocate(Encoding.CONFLUENT.headerBytes()).put((byte) 0).putInt(schemaId)
                .array();
    }

    /** An encoder of Avro's single-object encoding, the bytes of {@code record.toByteBuffer()}. */
    public static <T extends SpecificRecordBase> ValueEncoder<T> singleObject(Class<T> type) {
        return new ValueEncoder<>(type, Encoding.SINGLE_OBJECT, 0);
    }

    /**
     * An encoder of the Confluent framing, whose schema it registers under {@code subject} in {@code registry}
     * (a schema registered before keeps its id).
     *
     * @throws SchemaRegistryException when the registry refuses the schema or cannot be asked
     */
    public static <T extends SpecificRecordBase> ValueEncoder<T> confluent(Class<T> type,
            SchemaRegistryClient registry, String subject) throws SchemaRegistryException {
        Schema schema = SpecificData.getForClass(type).getSchema(type);
        return new ValueEncoder<>(type, Encoding.CONFLUENT, registry.register(subject, schema));
    }

    /** An encoder of the Confluent framing with a known schema id, for tests of what readers do with ids. */
    static <T extends SpecificRecordBase> ValueEncoder<T> confluent(Class<T> type, int schemaId) {
        return new ValueEncoder<>(type, Encoding.CONFLUENT, schemaId);
    }

    /** The encoding this encoder writes. */
    public Encoding encoding() {
        return encoding;
    }

    /** The schema id every value starts with (CONFLUENT); 0 for SINGLE_OBJECT. */
    public int schemaId() {
        return ByteBuffer.wrap(confluentHeader, 1, 4).getInt();
    }

    /** The value bytes of {@code record}. */
    public byte[] encode(T record) {
        Objects.requireNonNull(record, "record");
        try {
            if (encoding == Encoding.SINGLE_OBJECT) {
                out.reset();
                singleObject.encode(record, out);
                return out.toByteArray();
            }
            out.reset();
            out.write(confluentHeader);
            reuse = EncoderFactory.get().directBinaryEncoder(out, reuse);
            writer.write(record, reuse);
            reuse.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode " + record.getSchema().getFullName(), e);
        }
    }
}
