package dev.streaminglstm.job.output;

import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.wire.ValueFormat;
import java.util.Objects;
import org.apache.flink.api.common.serialization.SerializationSchema.InitializationContext;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link Prediction} to the prediction topic: key = the stream id in UTF-8, value = the prediction in the
 * deployment's {@link ValueFormat}, so all predictions of a stream land in one partition, in order. With CONFLUENT,
 * {@link #open} registers the schema under {@code <topic>-value}; a registry that cannot be asked fails the open.
 */
public final class PredictionSerializer implements KafkaRecordSerializationSchema<Prediction> {

    private static final long serialVersionUID = 2L;

    private final String topic;
    private final SinkEncoder<Prediction> values;

    /** A serializer of single-object values. */
    public PredictionSerializer(String topic) {
        this(topic, ValueFormat.singleObject());
    }

    public PredictionSerializer(String topic, ValueFormat format) {
        this.topic = Objects.requireNonNull(topic, "topic");
        this.values = new SinkEncoder<>(Prediction.class, topic, format);
    }

    @Override
    public void open(InitializationContext context, KafkaSinkContext sinkContext) throws Exception {
        values.open();
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Prediction prediction, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp,
                WireFormat.key(prediction.getStreamId()), values.encode(prediction));
    }
}
