package dev.streaminglstm.job.output;

import dev.streaminglstm.schema.wire.SchemaRegistryException;
import dev.streaminglstm.schema.wire.ValueEncoder;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.io.Serializable;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The {@link ValueEncoder} of a sink's topic, made where the sink runs: by {@code open()} (registering the schema
 * with CONFLUENT), or by the first record of a serializer that was never opened (in tests).
 */
final class SinkEncoder<T extends SpecificRecordBase> implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final String topic;
    private final ValueFormat format;
    private transient ValueEncoder<T> encoder;

    SinkEncoder(Class<T> type, String topic, ValueFormat format) {
        this.type = Objects.requireNonNull(type, "type");
        this.topic = Objects.requireNonNull(topic, "topic");
        this.format = Objects.requireNonNull(format, "format");
    }

    /** Makes the encoder. */
    void open() throws SchemaRegistryException {
        encoder = format.encoder(type, topic);
    }

    byte[] encode(T record) {
        if (encoder == null) {
            try {
                open();
            } catch (SchemaRegistryException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }
        return encoder.encode(record);
    }
}
