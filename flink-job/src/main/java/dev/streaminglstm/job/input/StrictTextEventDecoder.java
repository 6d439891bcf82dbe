package dev.streaminglstm.job.input;

import dev.streaminglstm.schema.SchemaHistory;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.wire.Encoding;
import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueDecoder;
import dev.streaminglstm.schema.wire.ValueFormat;
import dev.streaminglstm.schema.wire.ValueRejected;
import java.util.Collection;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Decodes a {@link TextEvent} from its single-object encoding (see {@code dev.streaminglstm.schema.WireFormat}), or
 * its Confluent framing, more strictly than Avro does, through {@link ValueDecoder}: it checks the header, finds the
 * writer schema by its fingerprint among the known ones (or by its id in the schema registry), walks the binary body against that schema bounds-checking every length before
 * anything is allocated, insists that every string holds valid UTF-8 (Avro would silently replace bad bytes) and
 * that no bytes follow the record, and only then decodes the typed record, resolving the writer schema into the
 * current {@code TextEvent}.
 *
 * <p>The known writer schemas are by default every version in the {@link SchemaHistory} of {@code TextEvent}. A
 * value written with any other schema is rejected as {@code UNKNOWN_SCHEMA}: a producer that writes a newer
 * {@code TextEvent} needs the job to be deployed with that schema in its history first (readers before writers).
 *
 * <p>Not thread-safe: one instance per reading thread.
 */
final class StrictTextEventDecoder {

    private final ValueDecoder<TextEvent> values;

    /** A decoder of values written with any version of {@code TextEvent} in its schema history. */
    StrictTextEventDecoder() {
        this(SchemaHistory.writerSchemas(TextEvent.getClassSchema()));
    }

    /**
     * A decoder of values written with one of {@code writerSchemas}.
     *
     * @throws IllegalArgumentException if the current {@code TextEvent} cannot read one of them
     */
    StrictTextEventDecoder(Collection<Schema> writerSchemas) {
        this(ValueDecoder.singleObject(TextEvent.class, writerSchemas, "job"));
    }

    private StrictTextEventDecoder(ValueDecoder<TextEvent> values) {
        this.values = values;
    }

    /** A decoder of values in {@code format}: single-object ones of the schema history, or registered ones. */
    static StrictTextEventDecoder of(ValueFormat format) {
        return format.encoding() == Encoding.CONFLUENT
                ? new StrictTextEventDecoder(format.decoder(TextEvent.class))
                : new StrictTextEventDecoder();
    }

    /** Fingerprints of the writer schemas this decoder reads, in the order they were given. */
    List<Long> knownFingerprints() {
        return values.knownFingerprints();
    }

    /**
     * The event {@code value} encodes; throws {@link Rejection} BAD_AVRO, UNKNOWN_SCHEMA or INVALID_UTF8 otherwise.
     *
     * @throws SchemaRegistryException when the schema registry cannot be asked (CONFLUENT values only): no fault of
     *                                 the record, which must not be dead-lettered for it
     */
    TextEvent decode(byte[] value) throws Rejection, SchemaRegistryException {
        try {
            return values.decode(value);
        } catch (ValueRejected rejected) {
            throw new Rejection(reasonOf(rejected), rejected.getMessage());
        }
    }

    /** The dead letter's reason for a value the wire format rejects: the same name. */
    static RejectReason reasonOf(ValueRejected rejected) {
        return RejectReason.valueOf(rejected.reason().name());
    }
}
