package dev.streaminglstm.job.access;

import dev.streaminglstm.job.config.JobConfig;
import java.io.IOException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The input's deserializer, opened (on the cluster, by each source subtask as it starts or restarts) only after
 * {@link KafkaAccessCheck#requireJobAccess} found nothing refused. A refusal fails the subtask with a
 * {@link KafkaRefusal}, which Flink does not restart: a job whose ACL was revoked or whose password was rotated fails
 * once, with the reason, instead of restarting into the same refusal again and again. Anything else the check meets
 * (brokers that do not answer, a missing topic) is logged and left to the source itself.
 *
 * @param <T> what the wrapped deserializer makes
 */
public final class RefusalCheckingDeserializer<T> implements KafkaRecordDeserializationSchema<T> {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RefusalCheckingDeserializer.class);

    private final JobConfig config;
    private final KafkaRecordDeserializationSchema<T> deserializer;

    private RefusalCheckingDeserializer(JobConfig config, KafkaRecordDeserializationSchema<T> deserializer) {
        this.config = config;
        this.deserializer = deserializer;
    }

    /** {@code deserializer}, opened after the job's access to Kafka was checked. */
    public static <T> KafkaRecordDeserializationSchema<T> of(JobConfig config,
            KafkaRecordDeserializationSchema<T> deserializer) {
        return new RefusalCheckingDeserializer<>(config, deserializer);
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) throws Exception {
        try {
            KafkaAccessCheck.requireJobAccess(config);
        } catch (IllegalStateException e) {
            LOG.warn("Could not check the job's access to Kafka: {}", e.getMessage());
        }
        deserializer.open(context);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<T> out) throws IOException {
        deserializer.deserialize(record, out);
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return deserializer.getProducedType();
    }
}
