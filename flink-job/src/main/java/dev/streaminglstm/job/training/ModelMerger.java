package dev.streaminglstm.job.training;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.store.CorruptPointerException;
import dev.streaminglstm.store.CorruptVersionException;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.RetryingModelStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.util.Arrays;
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
 * could take back.
 *
 * <p>Where numbering continues:
 * <ul>
 *   <li>A job started without a checkpoint continues from the store's newest good version, with
 *       its counters, and numbers its versions above every version in the store.</li>
 *   <li>A restore from the newest completed checkpoint (a failover) numbers on from the restored
 *       version, writing again the versions of checkpoints that never completed; those never were
 *       {@code LATEST}, so the store lets them be rewritten.</li>
 *   <li>A restore from a checkpoint or savepoint behind {@code LATEST} (a rollback) numbers its
 *       versions above every version in the store, committed or not, so it never touches what the
 *       abandoned run wrote.</li>
 * </ul>
 * Every manifest's {@code parentVersion} is the version its model was continued from.
 *
 * <p>Store calls are retried a few times ({@link RetryingModelStore}). If moving {@code LATEST}
 * still fails after a checkpoint completed, the move is not lost: the version stays in the
 * operator state, and the next completed checkpoint, or a restore, moves {@code LATEST}.
 */
public final class ModelMerger extends AbstractStreamOperator<Void> implements OneInputStreamOperator<ParameterDelta, Void> {
    private static final long serialVersionUID = 1L;

    /** Marks the state layout that records the parent version; the first layout began with the version. */
    private static final long STATE_WITH_PARENT = -2;

    /** Opens the model store at a location; serializable, as the operator holding it is shipped. */
    @FunctionalInterface
    interface StoreOpener extends Serializable {
        ModelStore open(String location) throws IOException;
    }

    private final JobConfig config;
    private final StoreOpener storeOpener;

    private transient ModelConfig modelConfig;
    private transient ModelStore store;
    private transient ParameterSet global;
    /** The version the global model is: as last written, or as continued from; 0 for the initial model. */
    private transient long version;
    /** The version {@link #version} was continued from, 0 for none. */
    private transient long parentOfVersion;
    /** New versions are numbered above this and above {@link #version}. */
    private transient long numberedAbove;
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
        this(config, ModelStores::open);
    }

    /** A merger whose store is opened by {@code storeOpener} (wrapped in retries). */
    ModelMerger(JobConfig config, StoreOpener storeOpener) {
        this.config = config;
        this.storeOpener = storeOpener;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelConfig = TrainingSetup.modelConfig(config);
        store = new RetryingModelStore(storeOpener.open(config.store()));
        state = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("global-model", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        awaitingCommit = new TreeMap<>();
        recentLossBpc = Double.NaN; // here, not as an initializer: Flink deserializes operators, skipping those
        OptionalLong latest;
        if (!context.isRestored()) {
            TrainingSetup.Start start = TrainingSetup.start(config);
            global = start.parameters();
            version = start.version();
            parentOfVersion = 0;
            tokens = start.tokensTrained();
            windows = start.windowsTrained();
            skipped = start.skippedSteps();
            numberedAbove = highestVersionNumber();
            latest = readableLatest();
        } else {
            for (byte[] entry : state.get()) {
                restore(entry);
            }
            // Everything recorded in a restored snapshot belongs to a completed checkpoint.
            if (!awaitingCommit.isEmpty()) {
                publishRestored(awaitingCommit.lastEntry().getKey(), awaitingCommit.lastEntry().getValue());
                awaitingCommit.clear();
            }
            latest = readableLatest();
            if (latest == null || (latest.isPresent() && latest.getAsLong() > version)) {
                numberedAbove = highestVersionNumber();
                LOG.info("restored model version {}, behind LATEST ({}): new versions are numbered above {},"
                        + " the highest in the store", version, latest == null ? "unreadable" : latest.getAsLong(),
                        numberedAbove);
            } else {
                numberedAbove = version;
            }
        }
        committedVersion = latest != null && latest.isPresent() ? latest.getAsLong() : 0;
    }

    /**
     * Makes the version a restored checkpoint wrote {@code LATEST}, unless {@code LATEST} is there
     * or beyond already. If the store's copy is missing or is not the restored model (another run
     * rewrote it while it was above {@code LATEST}), the restored model is written again first.
     */
    private void publishRestored(long checkpointId, long v) throws IOException {
        OptionalLong latest = readableLatest();
        if (latest == null) {
            LOG.warn("LATEST of {} is unreadable: version {} of the restored checkpoint {} is not published now;"
                    + " the next completed checkpoint publishes a newer one", store, v, checkpointId);
            return;
        }
        if (latest.isPresent() && latest.getAsLong() >= v) {
            return;
        }
        if (v == version && !storeHolds(v, global)) {
            LOG.warn("version {} in {} is not the model of the restored checkpoint {}: writing it again", v, store,
                    checkpointId);
            writeVersion(v, parentOfVersion, checkpointId);
        }
        commit(v);
    }

    private boolean storeHolds(long v, ParameterSet parameters) throws IOException {
        try {
            float[] values = TrainingSetup.floatParameters(store.readVersion(v).parameters(), modelConfig)
                    .toFlatFloats();
            return Arrays.equals(values, parameters.toFlatFloats());
        } catch (CorruptVersionException | ModelFormatException e) {
            return false;
        }
    }

    /** {@code LATEST}, or null if it is unreadable. */
    private OptionalLong readableLatest() throws IOException {
        try {
            return store.latestVersion();
        } catch (CorruptPointerException e) {
            LOG.warn("{}", e.getMessage());
            return null;
        }
    }

    private long highestVersionNumber() throws IOException {
        List<Long> numbers = store.versionNumbers();
        return Math.max(version, numbers.isEmpty() ? 0 : numbers.get(numbers.size() - 1));
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
            long next = Math.max(version, numberedAbove) + 1;
            writeVersion(next, version, context.getCheckpointId());
            parentOfVersion = version;
            version = next;
            awaitingCommit.put(context.getCheckpointId(), version);
            dirty = false;
        }
        state.update(List.of(snapshot()));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        Map.Entry<Long, Long> newest = awaitingCommit.floorEntry(checkpointId);
        if (newest == null) {
            return;
        }
        try {
            commit(newest.getValue());
            awaitingCommit.headMap(checkpointId, true).clear();
        } catch (IOException | IllegalStateException e) {
            // Kept in awaitingCommit, and so in the next snapshots: the next completed checkpoint, or a restore, moves it.
            LOG.warn("checkpoint {} completed, but LATEST of {} could not be moved to its version {}; the next completed"
                    + " checkpoint or a restore will move it", checkpointId, store, newest.getValue(), e);
        }
    }

    private void commit(long v) throws IOException {
        OptionalLong latest = readableLatest();
        if (latest == null || latest.isEmpty() || latest.getAsLong() < v) {
            store.moveLatest(v); // over an unreadable LATEST only if v is the newest committed version
            try {
                store.retain(config.keepVersions());
            } catch (IOException e) {
                LOG.warn("could not delete old versions of {}; trying again at the next publication", store, e);
            }
            committedVersion = v;
        } else {
            committedVersion = latest.getAsLong();
        }
    }

    /** Writes the global model as version {@code v}, continued from {@code parent} (0 for none). */
    private void writeVersion(long v, long parent, long checkpointId) throws IOException {
        if (!global.allFinite()) {
            throw new IllegalStateException("the global model holds non-finite values; version " + v + " not written");
        }
        long started = System.nanoTime();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelFile.write(bytes, modelConfig, TrainingSetup.hyperParameters(config), global);
        ModelManifest manifest = ModelManifest.newBuilder()
                .setVersion(v)
                .setParentVersion(parent > 0 ? parent : null)
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
        if (publishedVersions != null) { // null while a restore rewrites a version, before open()
            publishedVersions.inc();
        }
        storeWriteMillis = (System.nanoTime() - started) / 1e6;
    }

    private byte[] snapshot() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(STATE_WITH_PARENT);
            out.writeLong(version);
            out.writeLong(parentOfVersion);
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
            long first = in.readLong();
            if (first == STATE_WITH_PARENT) {
                version = in.readLong();
                parentOfVersion = in.readLong();
            } else if (first >= 0) { // the first layout: the parent was taken to be the version before
                version = first;
                parentOfVersion = version > 1 ? version - 1 : 0;
            } else {
                throw new IOException("the merger's state begins with " + first + ", which no state layout does");
            }
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
