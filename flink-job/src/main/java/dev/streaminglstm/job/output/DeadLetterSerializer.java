package dev.streaminglstm.job.output;

import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializationSchema.InitializationContext;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link DeadLetter} to the dead-letter topic: the value is the dead letter in the deployment's
 * {@link ValueFormat} (with CONFLUENT, {@link #open} registers its schema under {@code <topic>-value}), the key is the rejected record's own key, byte for byte (none if it had none). A dead letter
 * whose record would be larger than its {@link DeadLetterBudget} is first cut to fit ({@link DeadLetterBudget#fit}),
 * so that the producer never refuses one and a dead letter can never fail the job.
 */
public final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {

    private static final long serialVersionUID = 2L;

    private final String topic;
    private final DeadLetterBudget budget;
    private final SinkEncoder<DeadLetter> values;

    /** A single-object serializer for Kafka's default producer. */
    public DeadLetterSerializer(String topic) {
        this(topic, DeadLetterBudget.kafkaDefault(), ValueFormat.singleObject());
    }

    /** A serializer of {@code format} values whose records fit {@code budget}. */
    public DeadLetterSerializer(String topic, DeadLetterBudget budget, ValueFormat format) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.budget = Objects.requireNonNull(budget, "budget");
        this.values = new SinkEncoder<>(DeadLetter.class, topic, format);
    }

    @Override
    public void open(InitializationContext context, KafkaSinkContext sinkContext) throws Exception {
        values.open();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter deadLetter, KafkaSinkContext context, Long timestamp) {
        DeadLetter fitting = budget.fit(deadLetter);
        byte[] key = fitting.getKey() == null ? null : WireFormat.bytes(fitting.getKey());
        return new ProducerRecord<>(topic, null, timestamp, key, values.encode(fitting));
    }
}
