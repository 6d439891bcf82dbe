package dev.streaminglstm.job;

import dev.streaminglstm.job.access.RefusalCheckingSource;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.config.KafkaSettings.PredictionGuarantee;
import dev.streaminglstm.job.config.KafkaSettings;
import dev.streaminglstm.job.input.InputRecord;
import dev.streaminglstm.job.input.InputRecordDeserializer;
import dev.streaminglstm.job.output.DeadLetterBudget;
import dev.streaminglstm.job.output.DeadLetterSerializer;
import dev.streaminglstm.job.output.PredictionSerializer;
import dev.streaminglstm.schema.DeadLetter;
import dev.streaminglstm.schema.Prediction;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.sink.KafkaSinkBuilder;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;

/**
 * Builds the job's Kafka source and sinks from its {@link KafkaSettings}. Every client gets
 * {@link KafkaSettings#clientConfig()} (security settings and the like); the settings below win over them.
 * Values are in {@link KafkaSettings#valueFormat()}: single-object, or Confluent-framed with schemas registered
 * under {@code <topic>-value}.
 *
 * <ul>
 *   <li>Source: the input topic, read by {@link InputRecordDeserializer}; its enumerator and readers start only if
 *       Kafka does not refuse the job's access ({@link RefusalCheckingSource}); offsets are committed to the group
 *       {@code --group-id} on each completed checkpoint (Flink's own state stays the truth on restore), and a
 *       fresh job starts from the group's committed offsets, or from the earliest offset where there are none.</li>
 *   <li>Prediction sink: {@code --prediction-guarantee}. EXACTLY_ONCE writes in transactions with the id prefix
 *       {@code <group-id>-predictions} and timeout {@link KafkaSettings#transactionTimeoutMs()}, committed on each
 *       checkpoint; consumers must read with {@code isolation.level=read_committed}.</li>
 *   <li>Dead-letter sink: always AT_LEAST_ONCE. Dead letters are for people to inspect; a duplicate after a
 *       restart does no harm, and transactions would hide them until the next checkpoint. Each dead letter is cut
 *       to fit the producers' {@code max.request.size} ({@link DeadLetterBudget}).</li>
 * </ul>
 */
public final class KafkaConnectors {

    private KafkaConnectors() {}

    /** The input source as configured, still open to changes (tests bound it, for example). */
    @SuppressWarnings("deprecation") // the connector's committedOffsets still takes Kafka's deprecated enum
    public static KafkaSourceBuilder<InputRecord> sourceBuilder(KafkaSettings kafka, int conditioningSize) {
        return KafkaSource.<InputRecord>builder()
                .setProperties(kafka.clientConfig())
                .setBootstrapServers(kafka.bootstrapServers())
                .setTopics(kafka.inputTopic())
                .setGroupId(kafka.groupId())
                .setClientIdPrefix(kafka.groupId() + "-input")
                .setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST))
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setDeserializer(InputRecordDeserializer.from(kafka, conditioningSize));
    }

    /** The input source of {@code config}'s topic, for its model's conditioning size. */
    public static KafkaSourceBuilder<InputRecord> sourceBuilder(JobConfig config) {
        return sourceBuilder(config.kafka(), config.model().config().conditioningSize());
    }

    /** The job's unbounded input source, started only where Kafka does not refuse the job's access. */
    public static RefusalCheckingSource<InputRecord> source(JobConfig config) {
        return RefusalCheckingSource.of(config.kafka(), sourceBuilder(config).build());
    }

    /** The sink of {@link Prediction}s to the prediction topic. */
    public static KafkaSink<Prediction> predictionSink(KafkaSettings kafka) {
        KafkaSinkBuilder<Prediction> builder = KafkaSink.<Prediction>builder()
                .setKafkaProducerConfig(kafka.clientConfig())
                .setBootstrapServers(kafka.bootstrapServers())
                .setRecordSerializer(new PredictionSerializer(kafka.predictionTopic(), kafka.valueFormat()));
        if (kafka.predictionGuarantee() == PredictionGuarantee.EXACTLY_ONCE) {
            builder.setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
                    .setTransactionalIdPrefix(kafka.groupId() + "-predictions")
                    .setProperty(KafkaSettings.TRANSACTION_TIMEOUT, Long.toString(kafka.transactionTimeoutMs()));
        } else {
            builder.setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE);
        }
        return builder.build();
    }

    /** The sink of {@link DeadLetter}s to the dead-letter topic. */
    public static KafkaSink<DeadLetter> deadLetterSink(KafkaSettings kafka) {
        return KafkaSink.<DeadLetter>builder()
                .setKafkaProducerConfig(kafka.clientConfig())
                .setBootstrapServers(kafka.bootstrapServers())
                .setRecordSerializer(new DeadLetterSerializer(kafka.deadLetterTopic(), DeadLetterBudget.of(kafka),
                        kafka.valueFormat()))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }
}
