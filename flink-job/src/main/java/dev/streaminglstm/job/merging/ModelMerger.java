package dev.streaminglstm.job.merging;

import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.training.ParameterDelta;
import dev.streaminglstm.job.versions.Manifests;
import dev.streaminglstm.job.versions.PublishedModels;
import dev.streaminglstm.job.versions.VersionPublisher;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.RetryingModelStore;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The one global model (parallelism 1), as Flink glue: deltas go into the {@link GlobalModel}, each checkpoint
 * has the {@link VersionPublisher} write a version, each completed checkpoint moves {@code LATEST}, and both live
 * in operator state ({@link MergerSnapshot}). With drafts on, it also writes a draft every draft interval in
 * which a delta came, for this run's inference.
 */
public final class ModelMerger extends AbstractStreamOperator<Void> implements OneInputStreamOperator<ParameterDelta, Void> {
    private static final long serialVersionUID = 2L;

    /** Opens the model store; serializable, as the operator holding it is shipped. */
    @FunctionalInterface
    interface StoreOpener extends Serializable {
        ModelStore open(PublishedModels models) throws IOException;
    }

    private final PublishedModels models;
    private final Manifests manifests;
    private final int trainingParallelism;
    private final long draftIntervalMs;
    private final StoreOpener storeOpener;

    private transient GlobalModel global;
    private transient VersionPublisher publisher;
    private transient ListState<byte[]> state;
    private transient Counter rejectedDeltas;
    private transient Counter versionsWritten;
    private transient Counter draftsWritten;
    /** Whether a delta came since the last draft or version. */
    private transient boolean undrafted;
    /** The last checkpoint taken (or restored): deltas since belong to the next one. */
    private transient long lastCheckpoint;
    /** This run, as its drafts are labelled ({@link PublishedModels#run}). */
    private transient String run;

    /**
     * @param trainingParallelism the number of replicas whose deltas are averaged
     * @param draftIntervalMs how often to write a draft, in ms; 0 for never
     */
    public ModelMerger(PublishedModels models, Manifests manifests, int trainingParallelism, long draftIntervalMs) {
        this(models, manifests, trainingParallelism, draftIntervalMs, PublishedModels::open);
    }

    /** A merger whose store is opened by {@code storeOpener} (wrapped in retries). */
    ModelMerger(PublishedModels models, Manifests manifests, int trainingParallelism, long draftIntervalMs,
            StoreOpener storeOpener) {
        this.models = models;
        this.manifests = manifests;
        this.trainingParallelism = trainingParallelism;
        this.draftIntervalMs = draftIntervalMs;
        this.storeOpener = storeOpener;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        publisher = new VersionPublisher(new RetryingModelStore(storeOpener.open(models)), models, manifests,
                () -> {
                    if (versionsWritten != null) { // null while a restore rewrites a version, before open()
                        versionsWritten.inc();
                    }
                });
        state = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("global-model", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        lastCheckpoint = context.getRestoredCheckpointId().orElse(0);
        if (!context.isRestored()) {
            PublishedModels.Start start = models.start();
            global = new GlobalModel(models.model(), start.parameters(), start.tokensTrained(), start.windowsTrained(),
                    start.skippedSteps(), Double.NaN, start.trainedLoss(), false);
            publisher.startFresh(start.version());
            return;
        }
        for (byte[] entry : state.get()) {
            MergerSnapshot s = MergerSnapshot.fromBytes(entry);
            global = new GlobalModel(models.model(), ParameterSet.fromFlatFloats(models.model(), s.parameters(),
                    DataType.FLOAT), s.tokens(), s.windows(), s.skippedSteps(), s.recentLossBpc(), s.trainedLoss(),
                    s.changed());
            publisher.restore(s.version(), s.parentOfVersion(), s.awaitingCommit(), global);
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        rejectedDeltas = getMetricGroup().counter("rejectedDeltas");
        versionsWritten = getMetricGroup().counter("versionsWritten");
        getMetricGroup().gauge("modelVersion", publisher::committedVersion);
        getMetricGroup().gauge("storeWriteMillis", publisher::lastWriteMillis);
        getMetricGroup().gauge("globalLossBpc", global::recentLossBpc);
        getMetricGroup().gauge("trainingPrequentialBpc", () -> global.trainedLoss().bpc());
        draftsWritten = getMetricGroup().counter("draftsWritten");
        run = PublishedModels.run(getRuntimeContext());
        if (draftIntervalMs > 0) {
            scheduleDraft();
        }
    }

    private void scheduleDraft() {
        long at = getProcessingTimeService().getCurrentProcessingTime() + draftIntervalMs;
        getProcessingTimeService().registerTimer(at, time -> {
            writeDraft();
            scheduleDraft();
        });
    }

    /** A draft is a convenience for inference: one that cannot be written is logged and the next one tried. */
    private void writeDraft() {
        if (!undrafted) {
            return;
        }
        try {
            if (publisher.writeDraft(global, run, lastCheckpoint)) {
                draftsWritten.inc();
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("could not write a draft of the global model; trying again in {} ms", draftIntervalMs, e);
        }
        undrafted = false;
    }

    @Override
    public void processElement(StreamRecord<ParameterDelta> element) {
        ParameterDelta d = element.getValue();
        String rejected = global.add(d, trainingParallelism);
        undrafted |= rejected == null;
        if (rejected != null) {
            rejectedDeltas.inc();
            LOG.warn("rejected a parameter delta from subtask {}: {}", d.subtask, rejected);
        }
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        publisher.publish(global, context.getCheckpointId());
        undrafted = false; // the version holds it
        lastCheckpoint = context.getCheckpointId();
        state.update(List.of(new MergerSnapshot(publisher.version(), publisher.parentOfVersion(), global.changed(),
                global.tokens(), global.windows(), global.skippedSteps(), global.recentLossBpc(),
                global.trainedLoss(), publisher.awaitingCommit(), global.parameters().toFlatFloats()).toBytes()));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        publisher.checkpointCompleted(checkpointId);
    }
}
