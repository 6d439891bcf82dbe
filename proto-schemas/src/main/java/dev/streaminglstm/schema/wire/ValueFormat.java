package dev.streaminglstm.schema.wire;

import java.io.Serializable;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecordBase;

/**
 * The wire format of the record values of a deployment, as its flags give it ({@code --wire-format},
 * {@code --schema-registry-url}): an {@link Encoding} and, for CONFLUENT, the registry's URL. Serializable, so that
 * a Flink operator can carry it and make its encoders and decoders where it runs.
 *
 * @param encoding    how values are framed
 * @param registryUrl base of the registry's Confluent-compatible API; required for CONFLUENT, null otherwise
 */
public record ValueFormat(Encoding encoding, String registryUrl) implements Serializable {

    /**
     * @throws IllegalArgumentException when CONFLUENT has no registry URL, or SINGLE_OBJECT has one (it would be
     *                                  silently unused), or the URL is not an absolute http(s) URL
     */
    public ValueFormat {
        Objects.requireNonNull(encoding, "encoding");
        if (encoding == Encoding.CONFLUENT && (registryUrl == null || registryUrl.isBlank())) {
            throw new IllegalArgumentException("wire format CONFLUENT needs a schema registry URL");
        }
        if (encoding == Encoding.SINGLE_OBJECT && registryUrl != null) {
            throw new IllegalArgumentException("a schema registry URL is used with wire format CONFLUENT only, not "
                    + encoding);
        }
        if (registryUrl != null) {
            registryUrl = new SchemaRegistryClient(registryUrl).url();
        }
    }

    /** Avro's single-object encoding, the project's default. */
    public static ValueFormat singleObject() {
        return new ValueFormat(Encoding.SINGLE_OBJECT, null);
    }

    /** The Confluent framing, with the registry at {@code registryUrl}. */
    public static ValueFormat confluent(String registryUrl) {
        return new ValueFormat(Encoding.CONFLUENT, registryUrl);
    }

    /**
     * An encoder of {@code type} for the values of {@code topic}; for CONFLUENT its schema is registered under
     * {@code <topic>-value}.
     */
    public <T extends SpecificRecordBase> ValueEncoder<T> encoder(Class<T> type, String topic)
            throws SchemaRegistryException {
        return encoding == Encoding.CONFLUENT
                ? ValueEncoder.confluent(type, new SchemaRegistryClient(registryUrl),
                        SchemaRegistryClient.valueSubject(topic))
                : ValueEncoder.singleObject(type);
    }

    /** A decoder of {@code type}: every version of its schema history, or whatever the registry holds. */
    public <T extends SpecificRecordBase> ValueDecoder<T> decoder(Class<T> type) {
        return encoding == Encoding.CONFLUENT
                ? ValueDecoder.confluent(type, new SchemaRegistryClient(registryUrl))
                : ValueDecoder.singleObject(type);
    }
}
