package dev.streaminglstm.schema.wire;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * How a record value is framed on a topic; the record itself is always its Avro binary encoding.
 *
 * <ul>
 *   <li>{@link #SINGLE_OBJECT}: Avro's single-object encoding, {@code C3 01}, the 8-byte little-endian CRC-64-AVRO
 *       fingerprint of the writer schema, the record. Readers know the writer schemas in advance
 *       ({@code SchemaHistory}). The project's default.</li>
 *   <li>{@link #CONFLUENT}: the Confluent Schema Registry framing, a zero byte, the 4-byte big-endian id of the
 *       writer schema in a schema registry, the record. What Kafka Connect, ksqlDB, Flink SQL's
 *       {@code avro-confluent} format and the usual Kafka clients read and write.</li>
 * </ul>
 */
public enum Encoding {
    SINGLE_OBJECT(10),
    CONFLUENT(5);

    private final int headerBytes;

    Encoding(int headerBytes) {
        this.headerBytes = headerBytes;
    }

    /** Bytes before the Avro binary record. */
    public int headerBytes() {
        return headerBytes;
    }

    /**
     * The encoding named {@code name}, in any case.
     *
     * @throws IllegalArgumentException naming the choices, when it is none of them
     */
    public static Encoding parse(String name) {
        for (Encoding encoding : values()) {
            if (encoding.name().equals(name.trim().toUpperCase(Locale.ROOT))) {
                return encoding;
            }
        }
        throw new IllegalArgumentException("unknown wire format '" + name + "': choose one of "
                + Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", ")));
    }
}
