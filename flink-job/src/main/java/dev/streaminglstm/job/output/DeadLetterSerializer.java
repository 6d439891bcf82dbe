package dev.streaminglstm.job.output;

import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.DeadLetter;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link DeadLetter} to the dead-letter topic: the value is the dead letter in the project's wire format
 * ({@link WireFormat}), the key is the rejected record's own key, byte for byte (none if it had none). A dead letter
 * whose record would be larger than its {@link DeadLetterBudget} is first cut to fit ({@link DeadLetterBudget#fit}),
 * so that the producer never refuses one and a dead letter can never fail the job.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {

    private static final long serialVersionUID = 1L;

    private final String topic;
    private final DeadLetterBudget budget;

    /** A serializer for Kafka's default producer. */
    public DeadLetterSerializer(String topic) {
        this(topic, DeadLetterBudget.kafkaDefault());
    }

    /** A serializer whose records fit {@code budget}. */
    public DeadLetterSerializer(String topic, DeadLetterBudget budget) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.budget = Objects.requireNonNull(budget, "budget");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter deadLetter, KafkaSinkContext context, Long timestamp) {
        DeadLetter fitting = budget.fit(deadLetter);
        byte[] key = fitting.getKey() == null ? null : WireFormat.bytes(fitting.getKey());
        return new ProducerRecord<>(topic, null, timestamp, key, WireFormat.value(fitting));
    }
}
