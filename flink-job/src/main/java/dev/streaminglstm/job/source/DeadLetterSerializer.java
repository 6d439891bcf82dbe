package dev.streaminglstm.job.source;

import dev.streaminglstm.kafka.WireFormat;
import dev.streaminglstm.schema.DeadLetter;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link DeadLetter} to the dead-letter topic: the value is the dead letter in the project's wire format
 * ({@link WireFormat}), the key is the rejected record's own key, byte for byte (none if it had none).
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {

    private static final long serialVersionUID = 1L;

    private final String topic;

    public DeadLetterSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter deadLetter, KafkaSinkContext context, Long timestamp) {
        byte[] key = deadLetter.getKey() == null ? null : WireFormat.bytes(deadLetter.getKey());
        return new ProducerRecord<>(topic, null, timestamp, key, WireFormat.value(deadLetter));
    }
}
