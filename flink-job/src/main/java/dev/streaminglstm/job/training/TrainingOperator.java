package dev.streaminglstm.job.training;

import dev.streaminglstm.core.kernel.FastLanguageModel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.nn.WindowBatch;
import dev.streaminglstm.core.optim.Optimizer;
import dev.streaminglstm.core.optim.OptimizerStateCodec;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.tokens.StreamTokens;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Truncated-BPTT training on many streams at once, keyed by stream id.
 *
 * <p>Each stream's keyed state ({@link StreamTrainingState}) holds its carried (h, c), the
 * tokens of its unfinished window and the last sequence number seen. A chunk becomes tokens by
 * {@link StreamTokens}; once a stream has {@code T + 1} tokens its window joins the operator's batch.
 * The batch is trained in one call when it holds {@code --batch} windows, when the flush timer
 * fires, before every checkpoint barrier (unless disabled) and at the end of input. Each stream's
 * new (h, c) then goes back to its keyed state.
 *
 * <p>A stream has at most one window in the batch: its next window needs the state the current
 * one produces. A stream with more ready windows (a long chunk) keeps them pending, and after
 * each training step the next window of every stream just trained joins the new batch at once,
 * in the order of the batch before; so a backlogged stream is in every batch until its backlog
 * is trained, and the other places of each batch fill with other streams' windows. When such
 * continuation windows fill a batch on their own, it is trained right away. Batch composition
 * thus depends on the input alone (unless the flush timer is on); after a timer flush that
 * leaves continuation windows, the next timer fires after {@value #BACKLOG_FLUSH_MS} ms rather
 * than a whole interval.
 *
 * <p>The subtask trains a replica of the one global model, with its own optimiser state, both in
 * operator state. Every {@code --publish-every-windows} windows it emits the replica's
 * {@link ParameterDelta} since its last one to the {@link ModelMerger}. With parallelism above 1
 * it rebases its replica on newer global versions read from the model store; with parallelism 1
 * its replica is the global model, and everything it does is decided by the input alone.
 *
 * <p><b>Rescaling.</b> Restored at the parallelism it was snapshotted with, each subtask takes
 * back its own replica, optimiser state and unsent progress, bit for bit. Restored at another
 * parallelism (the replicas are a union list state, so every subtask sees all old ones):
 * <ul>
 *   <li>every new subtask starts its replica and its base from the same parameters: the global
 *       model as it stood at the restored checkpoint (the newest store version, at or above
 *       every old replica's base version, written at or before that checkpoint; failing that,
 *       the newest old base), plus the old subtasks' unsent deltas averaged as the merger would
 *       have averaged them;
 *   <li>new subtask 0 alone sends those unsent deltas, summed into one delta with their windows,
 *       tokens, loss and skipped steps, as soon as it opens; so no delta is applied twice and no
 *       trained progress is lost, and the global model reaches the same parameters the replicas
 *       start from;
 *   <li>new subtask {@code i} takes the optimiser state of old subtask {@code i mod p_old}
 *       (optimiser moments depend on no parameter values, so any old one is a fair start).
 * </ul>
 */
public final class TrainingOperator extends AbstractStreamOperator<ParameterDelta>
        implements OneInputStreamOperator<TextEvent, ParameterDelta>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

    /** Delay of the flush timer while the batch holds continuation windows of backlogged streams. */
    static final long BACKLOG_FLUSH_MS = 1;

    private final JobConfig config;
    private final boolean flushOnCheckpoint;

    private transient ModelConfig modelConfig;
    private transient Trainer trainer;
    private transient ParameterSet base;
    private transient long baseVersion;
    private transient GlobalModelSource globalModels;

    private transient ValueState<StreamTrainingState> streams;
    private transient ListState<byte[]> replicaState;
    private transient ListState<String> inFlightState;
    private transient List<String> restoredInFlight;
    /** After a restore at another parallelism: the old subtasks' unsent progress, which subtask 0 sends on open. */
    private transient ParameterDelta inherited;

    private transient List<TokenWindow> batch;
    private transient long windowsSinceDelta;
    private transient long tokensSinceDelta;
    private transient double lossNatsSinceDelta;
    private transient long skippedSinceDelta;

    private transient TrainingMetrics metrics;

    /**
     * @param flushOnCheckpoint train the pending batch before every checkpoint barrier (the
     *     default); false keeps the pending windows in state instead, so that batches are decided
     *     by the input alone
     */
    public TrainingOperator(JobConfig config, boolean flushOnCheckpoint) {
        this.config = config;
        this.flushOnCheckpoint = flushOnCheckpoint;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        modelConfig = TrainingSetup.modelConfig(config);
        ValueStateDescriptor<StreamTrainingState> descriptor =
                new ValueStateDescriptor<>("stream-training", StreamTrainingState.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(config.streamIdleTimeout())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        streams = getKeyedStateStore().getState(descriptor);
        replicaState = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("training-replica", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        inFlightState = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("training-in-flight", Types.STRING));

        int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
        LanguageModel model = FastLanguageModel.create(modelConfig);
        List<byte[]> entries = new ArrayList<>();
        if (context.isRestored()) {
            replicaState.get().forEach(entries::add);
            restoredInFlight = new ArrayList<>();
            inFlightState.get().forEach(restoredInFlight::add);
        }
        byte[] mine = null;
        for (byte[] entry : entries) {
            if (ReplicaSnapshot.subtaskOf(entry) == subtask) {
                mine = entry;
            }
        }
        if (entries.isEmpty()) {
            TrainingSetup.Start start = TrainingSetup.start(config);
            ParameterSet params = start.parameters();
            base = params.copy();
            baseVersion = start.version();
            trainer = new Trainer(model, params,
                    Optimizer.create(TrainingSetup.optimizerConfig(config), modelConfig, DataType.FLOAT));
        } else if (entries.size() == parallelism && mine != null) {
            restoreReplica(model, ReplicaSnapshot.fromBytes(mine));
        } else {
            restoreRescaled(model, entries, subtask, context.getRestoredCheckpointId());
        }
    }

    @Override
    public void open() throws Exception {
        super.open();
        batch = new ArrayList<>();
        metrics = new TrainingMetrics(getMetricGroup(), () -> baseVersion);
        if (config.trainingParallelism() > 1) {
            globalModels = new GlobalModelSource(config.store(), modelConfig);
        }
        if (inherited != null) {
            output.collect(new StreamRecord<>(inherited));
            metrics.deltasEmitted.inc();
            inherited = null;
        }
        if (restoredInFlight != null) {
            // Windows that were in the batch at the checkpoint: rebuild them from their streams' state.
            int subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            int parallelism = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
            int maxParallelism = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
            for (String id : restoredInFlight) {
                if (KeyGroupRangeAssignment.assignKeyToParallelOperator(id, maxParallelism, parallelism) == subtask) {
                    setCurrentKey(id);
                    StreamTrainingState s = streams.value();
                    if (s != null && s.inFlight) {
                        batch.add(window(id, s));
                    }
                }
            }
            restoredInFlight = null;
        }
        scheduleFlush(config.batchFlushMs());
    }

    @Override
    public void processElement(StreamRecord<TextEvent> element) throws Exception {
        TextEvent event = element.getValue();
        String id = event.getStreamId();
        StreamTrainingState s = streams.value();
        if (s == null) {
            s = new StreamTrainingState();
        }
        if (event.getSequenceNumber() <= s.lastSequence) {
            metrics.duplicates.inc();
            return;
        }
        s.lastSequence = event.getSequenceNumber();
        int[] tokens = StreamTokens.of(event, s.hasTokens());
        s.append(tokens);
        if (event.getFeatures() != null) {
            float[] f = new float[event.getFeatures().size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = event.getFeatures().get(i);
            }
            s.features = f;
        }
        metrics.tokensReceived.inc(tokens.length);
        // A stream already in the batch keeps its further windows pending: they follow as continuations.
        boolean joins = !s.inFlight && s.hasWindow(config.windowLength());
        if (joins) {
            s.inFlight = true;
        }
        streams.update(s);
        if (joins) {
            batch.add(window(id, s));
            trainFullBatches();
        }
    }

    private TokenWindow window(String id, StreamTrainingState s) {
        return new TokenWindow(id, s.nextWindow(config.windowLength()), s.carried, s.features);
    }

    /** Trains while the batch is full; continuation windows may fill it again. */
    private void trainFullBatches() throws Exception {
        while (batch.size() >= config.windowsPerBatch()) {
            trainBatch();
        }
    }

    /**
     * Trains the batch, writes each stream's new state back, starts the next batch with the next
     * window of every stream that has one, and emits a delta when one is due.
     */
    private void trainBatch() throws Exception {
        if (batch.isEmpty()) {
            return;
        }
        Object originalKey = getCurrentKey();
        rebaseOnNewerGlobalModel();
        int b = batch.size();
        int[][] tokens = new int[b][];
        List<float[]> carried = new ArrayList<>(b);
        float[][] features = modelConfig.conditioned() ? new float[b][] : null;
        for (int i = 0; i < b; i++) {
            TokenWindow w = batch.get(i);
            tokens[i] = w.tokens();
            carried.add(w.carried());
            if (features != null) {
                features[i] = w.features() != null ? w.features() : new float[modelConfig.conditioningSize()];
            }
        }
        RecurrentState state = RecurrentState.stack(modelConfig, carried, DataType.FLOAT);
        long started = System.nanoTime();
        Trainer.Step step = trainer.train(state, new WindowBatch(tokens, null, features, ByteVocabulary.START));
        metrics.recordBatch(b, step, System.nanoTime() - started);

        List<TokenWindow> next = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            TokenWindow w = batch.get(i);
            setCurrentKey(w.streamId());
            StreamTrainingState s = streams.value();
            if (s == null) {
                continue; // expired while its window was in the batch
            }
            s.carried = step.nextState().row(i);
            s.consume(config.windowLength());
            s.inFlight = s.hasWindow(config.windowLength());
            streams.update(s);
            if (s.inFlight) {
                next.add(window(w.streamId(), s));
            }
        }
        batch = next;
        if (originalKey != null) {
            setCurrentKey(originalKey);
        }
        windowsSinceDelta += b;
        tokensSinceDelta += step.tokens();
        lossNatsSinceDelta += step.lossNats() * step.tokens();
        if (step.report().skipped()) {
            skippedSinceDelta++;
        }
        if (windowsSinceDelta >= config.publishEveryWindows()) {
            emitDelta();
        }
    }

    private void emitDelta() {
        if (windowsSinceDelta == 0) {
            return;
        }
        ParameterSet replica = trainer.parameters();
        ParameterDelta d = new ParameterDelta();
        d.subtask = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        d.baseVersion = baseVersion;
        d.delta = replica.copy().subi(base).toFlatFloats();
        d.windows = windowsSinceDelta;
        d.tokens = tokensSinceDelta;
        d.lossNats = lossNatsSinceDelta;
        d.skippedSteps = skippedSinceDelta;
        output.collect(new StreamRecord<>(d));
        base = replica.copy();
        windowsSinceDelta = 0;
        tokensSinceDelta = 0;
        lossNatsSinceDelta = 0;
        skippedSinceDelta = 0;
        metrics.deltasEmitted.inc();
    }

    /** With several subtasks: replica = newest global + (replica - base), so local progress is kept. */
    private void rebaseOnNewerGlobalModel() {
        if (globalModels == null) {
            return;
        }
        GlobalModelSource.Version newer = globalModels.newerThan(baseVersion);
        if (newer == null) {
            return;
        }
        ParameterSet replica = trainer.parameters();
        ParameterSet local = replica.copy().subi(base);
        replica.assign(newer.parameters()).addi(local);
        base = newer.parameters().copy();
        baseVersion = newer.version();
        metrics.rebases.inc();
    }

    /** A partly filled batch waits at most about one flush interval. */
    private void scheduleFlush(long delayMs) {
        if (config.batchFlushMs() <= 0) {
            return;
        }
        long at = getProcessingTimeService().getCurrentProcessingTime() + delayMs;
        getProcessingTimeService().registerTimer(at, time -> {
            trainBatch();
            // Continuation windows of backlogged streams need not wait a whole interval each.
            scheduleFlush(batch.isEmpty() ? config.batchFlushMs() : BACKLOG_FLUSH_MS);
        });
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (flushOnCheckpoint) {
            trainBatch();
        }
    }

    @Override
    public void endInput() throws Exception {
        while (!batch.isEmpty()) {
            trainBatch();
        }
        emitDelta();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        replicaState.update(List.of(new ReplicaSnapshot(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask(),
                baseVersion, trainer.parameters().toFlatFloats(), base.toFlatFloats(),
                OptimizerStateCodec.toBytes(trainer.optimizer().exportState()),
                windowsSinceDelta, tokensSinceDelta, lossNatsSinceDelta, skippedSinceDelta).toBytes()));
        List<String> ids = new ArrayList<>(batch.size());
        batch.forEach(w -> ids.add(w.streamId()));
        inFlightState.update(ids);
    }

    /** Takes back this subtask's own replica, exactly as it was snapshotted. */
    private void restoreReplica(LanguageModel model, ReplicaSnapshot mine) throws IOException {
        baseVersion = mine.baseVersion();
        ParameterSet params = ParameterSet.fromFlatFloats(modelConfig, mine.replica(), DataType.FLOAT);
        base = ParameterSet.fromFlatFloats(modelConfig, mine.base(), DataType.FLOAT);
        trainer = new Trainer(model, params, Optimizer.restore(TrainingSetup.optimizerConfig(config),
                OptimizerStateCodec.fromBytes(mine.optimizer())));
        windowsSinceDelta = mine.windows();
        tokensSinceDelta = mine.tokens();
        lossNatsSinceDelta = mine.lossNats();
        skippedSinceDelta = mine.skippedSteps();
    }

    /**
     * Restores at a parallelism other than the snapshot's (see the class comment): a common start
     * for every replica, the old unsent progress sent once by subtask 0, an old optimiser state.
     */
    private void restoreRescaled(LanguageModel model, List<byte[]> entries, int subtask, OptionalLong checkpointId)
            throws IOException {
        List<ReplicaSnapshot> old = new ArrayList<>(entries.size());
        for (byte[] entry : entries) {
            old.add(ReplicaSnapshot.fromBytes(entry));
        }
        old.sort(Comparator.comparingInt(ReplicaSnapshot::subtask));
        int oldParallelism = old.size();

        ReplicaSnapshot newestBase = old.get(0);
        ParameterSet unsent = ParameterSet.zeros(modelConfig, DataType.FLOAT);
        ParameterDelta progress = new ParameterDelta();
        for (ReplicaSnapshot r : old) {
            if (r.baseVersion() > newestBase.baseVersion()) {
                newestBase = r;
            }
            if (r.hasUnsentProgress()) {
                unsent.addi(ParameterSet.fromFlatFloats(modelConfig, r.replica(), DataType.FLOAT)
                        .subi(ParameterSet.fromFlatFloats(modelConfig, r.base(), DataType.FLOAT)));
                progress.windows += r.windows();
                progress.tokens += r.tokens();
                progress.lossNats += r.lossNats();
                progress.skippedSteps += r.skippedSteps();
            }
        }
        TrainingSetup.Start global = globalAtCheckpoint(checkpointId, newestBase.baseVersion());
        if (global == null) {
            LOG.warn("rescaled from {} to {} training subtasks: no store version of checkpoint {} found; "
                    + "replicas start from the newest old base, version {}", oldParallelism,
                    getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks(), checkpointId,
                    newestBase.baseVersion());
            // the counters of a start are not read here: the merger keeps the totals
            global = new TrainingSetup.Start(newestBase.baseVersion(),
                    ParameterSet.fromFlatFloats(modelConfig, newestBase.base(), DataType.FLOAT), 0, 0, 0);
        }
        ParameterSet start = global.parameters().copy().addi(unsent.copy().muli(1.0 / oldParallelism));
        base = start.copy();
        baseVersion = global.version();
        ReplicaSnapshot optimizerFrom = old.get(subtask % oldParallelism);
        trainer = new Trainer(model, start, Optimizer.restore(TrainingSetup.optimizerConfig(config),
                OptimizerStateCodec.fromBytes(optimizerFrom.optimizer())));

        if (subtask == 0 && progress.windows > 0) {
            // The merger divides every delta by the current training parallelism; the old deltas
            // were meant to be divided by the old one.
            progress.subtask = 0;
            progress.baseVersion = baseVersion;
            progress.delta = unsent.muli((double) config.trainingParallelism() / oldParallelism).toFlatFloats();
            inherited = progress;
        }
    }

    /**
     * The global model as the merger held it at the restored checkpoint: the newest store version
     * at or above {@code minVersion} (every old replica's base is a version the merger had
     * reached) written at or before that checkpoint; null if there is none or it cannot be read.
     */
    private TrainingSetup.Start globalAtCheckpoint(OptionalLong checkpointId, long minVersion) {
        if (checkpointId.isEmpty()) {
            return null;
        }
        try {
            ModelStore store = ModelStores.open(config.store());
            List<ModelManifest> versions = store.listVersions();
            for (int i = versions.size() - 1; i >= 0; i--) {
                ModelManifest m = versions.get(i);
                if (m.getVersion() < minVersion) {
                    return null;
                }
                if (m.getCheckpointId() != null && m.getCheckpointId() <= checkpointId.getAsLong()) {
                    StoredModel stored = store.readVersion(m.getVersion());
                    ParameterSet p = TrainingSetup.floatParameters(stored.parameters(), modelConfig);
                    return new TrainingSetup.Start(m.getVersion(), p, m.getTokensTrained(), m.getWindowsTrained(),
                            m.getSkippedSteps());
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the global model of checkpoint {} from {}", checkpointId, config.store(), e);
        }
        return null;
    }

    /** For tests: a stream's keyed state (sets the current key). */
    StreamTrainingState streamState(String streamId) throws IOException {
        setCurrentKey(streamId);
        return streams.value();
    }

    /** For tests: the replica's parameters. */
    ParameterSet replica() {
        return trainer.parameters();
    }

    /** For tests: the optimiser state's bytes. */
    byte[] optimizerState() throws IOException {
        return OptimizerStateCodec.toBytes(trainer.optimizer().exportState());
    }

    /** For tests: windows in the batch, waiting to be trained. */
    int batchSize() {
        return batch.size();
    }

    /** Counters of this subtask, for tests. */
    TrainingMetrics metrics() {
        return metrics;
    }
}
