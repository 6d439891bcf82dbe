package dev.streaminglstm.job.training;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The one global model (parallelism 1). Each {@link ParameterDelta} from a training subtask is
 * added in, scaled by 1 / training parallelism (model averaging); a delta holding a non-finite
 * value is rejected and counted, so the global model stays finite. At every checkpoint whose
 * model changed, the merger writes the next immutable version to the store; {@code LATEST} moves
 * to it only when that checkpoint has completed, so readers never see a version that a restore
 * could take back. A job started without a checkpoint continues from the store's newest version.
 */
public final class ModelMerger extends AbstractStreamOperator<Void> implements OneInputStreamOperator<ParameterDelta, Void> {
    private static final long serialVersionUID = 1L;

    private final JobConfig config;

    private transient ModelConfig modelConfig;
    private transient ModelStore store;
    private transient ParameterSet global;
    private transient long version;
    private transient boolean dirty;
    private transient long tokens;
    private transient long windows;
    private transient long skipped;
    private transient double recentLossBpc;
    /** Versions written at a checkpoint, by checkpoint id, until that checkpoint completes. */
    private transient TreeMap<Long, Long> awaitingCommit;
    private transient ListState<byte[]> state;

    private transient Counter rejectedDeltas;
    private transient Counter publishedVersions;
    private transient volatile long committedVersion;
    private transient volatile double storeWriteMillis;

    public ModelMerger(JobConfig config) {
        this.config = config;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelConfig = TrainingSetup.modelConfig(config);
        store = ModelStores.open(config.store());
        state = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("global-model", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        awaitingCommit = new TreeMap<>();
        recentLossBpc = Double.NaN; // here, not as an initializer: Flink deserializes operators, skipping those
        if (!context.isRestored()) {
            TrainingSetup.Start start = TrainingSetup.start(config);
            global = start.parameters();
            version = start.version();
        } else {
            for (byte[] entry : state.get()) {
                restore(entry);
            }
            // Everything recorded in a restored snapshot belongs to a completed checkpoint.
            if (!awaitingCommit.isEmpty()) {
                commit(awaitingCommit.lastEntry().getValue());
                awaitingCommit.clear();
            }
        }
        OptionalLong latest = store.latestVersion();
        committedVersion = latest.isPresent() ? latest.getAsLong() : 0;
    }

    @Override
    public void open() throws Exception {
        super.open();
        rejectedDeltas = getMetricGroup().counter("rejectedDeltas");
        publishedVersions = getMetricGroup().counter("versionsWritten");
        getMetricGroup().gauge("modelVersion", () -> committedVersion);
        getMetricGroup().gauge("storeWriteMillis", () -> storeWriteMillis);
        getMetricGroup().gauge("globalLossBpc", () -> recentLossBpc);
    }

    @Override
    public void processElement(StreamRecord<ParameterDelta> element) {
        ParameterDelta d = element.getValue();
        if (d.delta == null || d.delta.length != global.size() || !allFinite(d.delta)) {
            rejectedDeltas.inc();
            LOG.warn("rejected a parameter delta from subtask {}: {}", d.subtask,
                    d.delta == null || d.delta.length != global.size() ? "wrong size" : "not finite");
            return;
        }
        ParameterSet delta = ParameterSet.fromFlatFloats(modelConfig, d.delta, DataType.FLOAT);
        int parallelism = config.trainingParallelism();
        if (parallelism > 1) {
            delta.muli(1.0 / parallelism);
        }
        global.addi(delta);
        tokens += d.tokens;
        windows += d.windows;
        skipped += d.skippedSteps;
        if (d.tokens > 0) {
            double bpc = d.lossNats / d.tokens / Math.log(2);
            recentLossBpc = Double.isNaN(recentLossBpc) ? bpc : 0.7 * recentLossBpc + 0.3 * bpc;
        }
        dirty = true;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (dirty) {
            writeVersion(version + 1, context.getCheckpointId());
            version++;
            awaitingCommit.put(context.getCheckpointId(), version);
            dirty = false;
        }
        state.update(List.of(snapshot()));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        Map.Entry<Long, Long> newest = awaitingCommit.floorEntry(checkpointId);
        if (newest != null) {
            commit(newest.getValue());
            awaitingCommit.headMap(checkpointId, true).clear();
        }
    }

    private void commit(long v) throws IOException {
        OptionalLong latest = store.latestVersion();
        if (latest.isEmpty() || latest.getAsLong() < v) {
            store.moveLatest(v);
            store.retain(config.keepVersions());
        }
        committedVersion = v;
    }

    private void writeVersion(long v, long checkpointId) throws IOException {
        if (!global.allFinite()) {
            throw new IllegalStateException("the global model holds non-finite values; version " + v + " not written");
        }
        long started = System.nanoTime();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelFile.write(bytes, modelConfig, TrainingSetup.hyperParameters(config), global);
        ModelManifest manifest = ModelManifest.newBuilder()
                .setVersion(v)
                .setParentVersion(v > 1 ? v - 1 : null)
                .setCreatedAt(java.time.Instant.ofEpochMilli(System.currentTimeMillis()))
                .setTokensTrained(tokens)
                .setWindowsTrained(windows)
                .setSkippedSteps(skipped)
                .setRecentLossBpc(Double.isNaN(recentLossBpc) ? null : recentLossBpc)
                .setCheckpointId(checkpointId)
                .setShape(ModelShape.newBuilder()
                        .setCellType(modelConfig.cellType().name())
                        .setVocabSize(modelConfig.vocabSize())
                        .setEmbedSize(modelConfig.embedSize())
                        .setHiddenSize(modelConfig.hiddenSize())
                        .setLayers(modelConfig.layers())
                        .setConditioningSize(modelConfig.conditioningSize())
                        .build())
                .setHyperParameters(HyperParameters.newBuilder()
                        .setOptimizer(config.optimizer().name())
                        .setLearningRate(config.learningRate())
                        .setClipNorm(config.clipNorm())
                        .setWindowLength(config.windowLength())
                        .setBatchSize(config.windowsPerBatch())
                        .setExtra(TrainingSetup.hyperParameters(config))
                        .build())
                .setParametersChecksum("")
                .setParametersBytes(0)
                .setFormatVersion(ModelFile.FORMAT_VERSION)
                .build();
        store.writeVersion(manifest, bytes.toByteArray());
        publishedVersions.inc();
        storeWriteMillis = (System.nanoTime() - started) / 1e6;
    }

    private byte[] snapshot() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(version);
            out.writeBoolean(dirty);
            out.writeLong(tokens);
            out.writeLong(windows);
            out.writeLong(skipped);
            out.writeDouble(recentLossBpc);
            out.writeInt(awaitingCommit.size());
            for (Map.Entry<Long, Long> e : awaitingCommit.entrySet()) {
                out.writeLong(e.getKey());
                out.writeLong(e.getValue());
            }
            float[] values = global.toFlatFloats();
            out.writeInt(values.length);
            for (float f : values) {
                out.writeFloat(f);
            }
        }
        return bytes.toByteArray();
    }

    private void restore(byte[] entry) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
            version = in.readLong();
            dirty = in.readBoolean();
            tokens = in.readLong();
            windows = in.readLong();
            skipped = in.readLong();
            recentLossBpc = in.readDouble();
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                awaitingCommit.put(in.readLong(), in.readLong());
            }
            float[] values = new float[in.readInt()];
            for (int i = 0; i < values.length; i++) {
                values[i] = in.readFloat();
            }
            global = ParameterSet.fromFlatFloats(modelConfig, values, DataType.FLOAT);
        }
    }

    private static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }
}
