package dev.streaminglstm.job.training;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.job.config.TrainingSettings;
import dev.streaminglstm.job.versions.PublishedModels;
import dev.streaminglstm.schema.TextEvent;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
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

/**
 * Training keyed by stream id, as Flink glue around a {@link StreamTrainer}: each stream's {@link
 * StreamTrainingState} in keyed state, the subtask's {@link Replica} and the streams in its batch in operator state
 * (a union list, so that a rescale sees every old replica: {@link RescalePlan}), the flush as a processing-time
 * timer, and the replica's deltas as the operator's output.
 */
public final class TrainingOperator extends AbstractStreamOperator<ParameterDelta>
        implements OneInputStreamOperator<TextEvent, ParameterDelta>, BoundedOneInput {
    private static final long serialVersionUID = 2L;

    private final TrainingSettings training;
    private final OptimizerConfig optimizer;
    private final PublishedModels models;
    private final Duration streamIdleTimeout;
    private final boolean flushOnCheckpoint;
    private final long deltaIntervalMs;

    private transient ValueState<StreamTrainingState> streams;
    private transient ListState<byte[]> replicaState;
    private transient ListState<String> batchState;
    private transient List<String> restoredBatch;
    /** After a restore at another parallelism: the old subtasks' unsent progress, which subtask 0 sends on open. */
    private transient ParameterDelta inherited;
    private transient Replica replica;
    private transient WindowBatcher batcher;
    private transient StreamTrainer trainer;
    private transient TrainingMetrics metrics;

    /**
     * @param models the model's shape, the store the training starts from and, in parallel, rebases on
     * @param streamIdleTimeout a stream's state is dropped after this long without input
     * @param flushOnCheckpoint train the pending batch before every checkpoint barrier (the default); false keeps
     *     the pending windows in state instead, so that batches are decided by the input alone
     * @param deltaIntervalMs also send what was trained every this many ms (for the merger's drafts); 0: only
     *     before checkpoint barriers (or as {@code --publish-every-windows} says)
     */
    public TrainingOperator(TrainingSettings training, OptimizerConfig optimizer, PublishedModels models,
            Duration streamIdleTimeout, boolean flushOnCheckpoint, long deltaIntervalMs) {
        this.training = training;
        this.optimizer = optimizer;
        this.models = models;
        this.streamIdleTimeout = streamIdleTimeout;
        this.flushOnCheckpoint = flushOnCheckpoint;
        this.deltaIntervalMs = deltaIntervalMs;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        ValueStateDescriptor<StreamTrainingState> descriptor =
                new ValueStateDescriptor<>("stream-training", StreamTrainingState.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(streamIdleTimeout)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        streams = getKeyedStateStore().getState(descriptor);
        replicaState = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("training-replica", PrimitiveArrayTypeInfo.BYTE_PRIMITIVE_ARRAY_TYPE_INFO));
        batchState = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("training-in-flight", Types.STRING));
        replica = context.isRestored() ? restoreReplica(context.getRestoredCheckpointId()) : startReplica();
    }

    private Replica startReplica() throws IOException {
        PublishedModels.Start start = models.start();
        return Replica.start(models.model(), models.kernel(), optimizer, start.version(), start.parameters());
    }

    /** Its own replica at the same parallelism; else a common start for every replica ({@link RescalePlan}). */
    private Replica restoreReplica(OptionalLong checkpointId) throws Exception {
        restoredBatch = new ArrayList<>();
        batchState.get().forEach(restoredBatch::add);
        List<byte[]> entries = new ArrayList<>();
        replicaState.get().forEach(entries::add);
        if (entries.isEmpty()) {
            return startReplica();
        }
        Optional<byte[]> mine = entries.stream().filter(e -> ReplicaSnapshot.subtaskOf(e) == subtask()).findFirst();
        if (entries.size() == parallelism() && mine.isPresent()) {
            return Replica.restore(models.model(), models.kernel(), optimizer, ReplicaSnapshot.fromBytes(mine.get()));
        }
        List<ReplicaSnapshot> old = new ArrayList<>();
        for (byte[] entry : entries) {
            old.add(ReplicaSnapshot.fromBytes(entry));
        }
        RescalePlan plan = RescalePlan.of(old, subtask(), parallelism(), models.model(), minVersion ->
                checkpointId.isPresent() ? models.atCheckpoint(checkpointId.getAsLong(), minVersion) : Optional.empty());
        inherited = plan.inherited();
        return Replica.rescaled(models.model(), models.kernel(), optimizer, plan);
    }

    @Override
    public void open() throws Exception {
        super.open();
        metrics = new TrainingMetrics(getMetricGroup(), replica::baseVersion);
        replica.stepSizes(training);
        batcher = new WindowBatcher(training.batch(), training.flushMs());
        PublishedModels.Follower latest = parallelism() > 1 ? models.followLatest() : null;
        trainer = new StreamTrainer(training.window(), training.publishEveryWindows(), subtask(), replica, batcher,
                new KeyedStreams(), latest == null ? null : () -> newer(latest),
                delta -> output.collect(new StreamRecord<>(delta)), metrics);
        if (inherited != null) {
            output.collect(new StreamRecord<>(inherited));
            metrics.deltaSent();
            inherited = null;
        }
        if (restoredBatch != null) {
            trainer.rejoin(restoredBatch.stream().filter(this::isMine).toList());
            restoredBatch = null;
        }
        scheduleFlush();
        if (deltaIntervalMs > 0 && training.publishEveryWindows() == 0) {
            scheduleDelta();
        }
    }

    private static ServableModel newer(PublishedModels.Follower latest) {
        PublishedModels.Served served = latest.poll(System.currentTimeMillis());
        return served == null ? null : served.model();
    }

    private void scheduleDelta() {
        long at = getProcessingTimeService().getCurrentProcessingTime() + deltaIntervalMs;
        getProcessingTimeService().registerTimer(at, time -> {
            trainer.publish();
            scheduleDelta();
        });
    }

    @Override
    public void processElement(StreamRecord<TextEvent> element) throws Exception {
        keepingKey(() -> trainer.accept(element.getValue()));
    }

    /** A partly filled batch waits at most about one flush interval; continuations of a backlog much less. */
    private void scheduleFlush() {
        if (!batcher.flushes()) {
            return;
        }
        long at = getProcessingTimeService().getCurrentProcessingTime() + batcher.nextFlushDelayMs();
        getProcessingTimeService().registerTimer(at, time -> {
            keepingKey(trainer::trainBatch);
            scheduleFlush();
        });
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (flushOnCheckpoint) {
            keepingKey(trainer::trainBatch);
        }
        trainer.publish(); // before the barrier: the version written at this checkpoint holds it
    }

    @Override
    public void endInput() throws Exception {
        keepingKey(trainer::finish);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        replicaState.update(List.of(replica.snapshot(subtask()).toBytes()));
        batchState.update(batcher.streamIds());
    }

    /** Runs {@code action}, which may switch the current key, and sets the key back. */
    private void keepingKey(KeyedAction action) throws Exception {
        Object key = getCurrentKey();
        action.run();
        if (key != null) {
            setCurrentKey(key);
        }
    }

    @FunctionalInterface
    private interface KeyedAction {
        void run() throws Exception;
    }

    /** The streams' keyed state, reached by setting each stream's key. */
    private final class KeyedStreams implements StreamTrainer.StreamStates {
        @Override
        public StreamTrainingState get(String streamId) throws IOException {
            setCurrentKey(streamId);
            return streams.value();
        }

        @Override
        public void put(String streamId, StreamTrainingState state) throws IOException {
            setCurrentKey(streamId);
            streams.update(state);
        }
    }

    private boolean isMine(String streamId) {
        int maxParallelism = getRuntimeContext().getTaskInfo().getMaxNumberOfParallelSubtasks();
        return KeyGroupRangeAssignment.assignKeyToParallelOperator(streamId, maxParallelism, parallelism()) == subtask();
    }

    private int subtask() {
        return getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
    }

    private int parallelism() {
        return getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
    }

    /** For tests: a stream's keyed state (sets the current key). */
    StreamTrainingState streamState(String streamId) throws IOException {
        setCurrentKey(streamId);
        return streams.value();
    }

    /** For tests: the subtask's replica. */
    Replica replica() {
        return replica;
    }

    /** For tests: windows in the batch, waiting to be trained. */
    int batchSize() {
        return batcher.size();
    }

    /** For tests: the subtask's counters. */
    TrainingMetrics metrics() {
        return metrics;
    }
}
