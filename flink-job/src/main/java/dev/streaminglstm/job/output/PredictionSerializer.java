package dev.streaminglstm.job.output;

import dev.streaminglstm.schema.WireFormat;
import dev.streaminglstm.schema.Prediction;
import java.util.Objects;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes a {@link Prediction} to the prediction topic: key = the stream id in UTF-8, value = the prediction in the
 * project's wire format ({@link WireFormat}), so all predictions of a stream land in one partition, in order.
 */
public final class PredictionSerializer implements KafkaRecordSerializationSchema<Prediction> {

    private static final long serialVersionUID = 1L;

    private final String topic;

    public PredictionSerializer(String topic) {
        this.topic = Objects.requireNonNull(topic, "topic");
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(Prediction prediction, KafkaSinkContext context, Long timestamp) {
        return new ProducerRecord<>(topic, null, timestamp,
                WireFormat.key(prediction.getStreamId()), WireFormat.value(prediction));
    }
}
