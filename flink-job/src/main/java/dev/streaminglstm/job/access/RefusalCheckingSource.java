package dev.streaminglstm.job.access;

import dev.streaminglstm.job.config.KafkaSettings;
import java.util.Set;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.watermark.WatermarkDeclaration;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.lineage.LineageVertex;
import org.apache.flink.streaming.api.lineage.LineageVertexProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's Kafka source, started on the cluster only after {@link KafkaAccessCheck#requireJobAccess} found nothing
 * refused: as its split enumerator starts on the JobManager (at the job's start and at every global restart) and as
 * each reader starts on a TaskManager (at every restart of its subtask). A refusal there is a {@link KafkaRefusal},
 * which Flink does not restart: a job whose password is wrong, whose ACL was revoked or whose password was rotated
 * fails once, with the reason, instead of restarting into the same refusal again and again. Anything else the check
 * meets (brokers that do not answer, a missing topic) is logged and left to the source itself.
 *
 * @param <T> the records the source makes
 */
public final class RefusalCheckingSource<T>
        implements Source<T, KafkaPartitionSplit, KafkaSourceEnumState>, ResultTypeQueryable<T>, LineageVertexProvider {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RefusalCheckingSource.class);

    private final KafkaSettings kafka;
    private final KafkaSource<T> source;

    private RefusalCheckingSource(KafkaSettings kafka, KafkaSource<T> source) {
        this.kafka = kafka;
        this.source = source;
    }

    /** {@code source}, whose enumerator and readers start after the job's access to Kafka was checked. */
    public static <T> RefusalCheckingSource<T> of(KafkaSettings kafka, KafkaSource<T> source) {
        return new RefusalCheckingSource<>(kafka, source);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> createEnumerator(
            SplitEnumeratorContext<KafkaPartitionSplit> context) throws Exception {
        requireAccess();
        return source.createEnumerator(context);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> restoreEnumerator(
            SplitEnumeratorContext<KafkaPartitionSplit> context, KafkaSourceEnumState state) throws Exception {
        requireAccess();
        return source.restoreEnumerator(context, state);
    }

    @Override
    public SourceReader<T, KafkaPartitionSplit> createReader(SourceReaderContext context) throws Exception {
        requireAccess();
        return source.createReader(context);
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SimpleVersionedSerializer<KafkaPartitionSplit> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<KafkaSourceEnumState> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    @Override
    public Set<? extends WatermarkDeclaration> declareWatermarks() {
        return source.declareWatermarks();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return source.getProducedType();
    }

    @Override
    public LineageVertex getLineageVertex() {
        return source.getLineageVertex();
    }

    private void requireAccess() {
        try {
            KafkaAccessCheck.requireJobAccess(kafka);
        } catch (IllegalStateException e) {
            LOG.warn("Could not check the job's access to Kafka: {}", e.getMessage());
        }
    }
}
