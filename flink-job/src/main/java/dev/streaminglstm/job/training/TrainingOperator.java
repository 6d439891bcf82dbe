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
import dev.streaminglstm.schema.TextEvent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
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
 * fires, before every checkpoint barrier (unless disabled), at the end of input, and before a
 * stream that is already in the batch would add a second window. Each stream's new (h, c) then
 * goes back to its keyed state.
 *
 * <p>The subtask trains a replica of the one global model, with its own optimiser state, both in
 * operator state. Every {@code --publish-every-windows} windows it emits the replica's
 * {@link ParameterDelta} since its last one to the {@link ModelMerger}. With parallelism above 1
 * it rebases its replica on newer global versions read from the model store; with parallelism 1
 * its replica is the global model, and everything it does is decided by the input alone.
 */
public final class TrainingOperator extends AbstractStreamOperator<ParameterDelta>
        implements OneInputStreamOperator<TextEvent, ParameterDelta>, BoundedOneInput {
    private static final long serialVersionUID = 1L;

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
        LanguageModel model = FastLanguageModel.create(modelConfig);
        byte[] mine = null;
        if (context.isRestored()) {
            for (byte[] entry : replicaState.get()) {
                if (mine == null || subtaskOf(entry) == subtask) {
                    mine = entry;
                }
            }
            restoredInFlight = new ArrayList<>();
            inFlightState.get().forEach(restoredInFlight::add);
        }
        if (mine == null) {
            TrainingSetup.Start start = TrainingSetup.start(config);
            ParameterSet params = start.parameters();
            base = params.copy();
            baseVersion = start.version();
            trainer = new Trainer(model, params,
                    Optimizer.create(TrainingSetup.optimizerConfig(config), modelConfig, DataType.FLOAT));
        } else {
            restoreReplica(model, mine);
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
        scheduleFlush();
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
        int[] tokens = StreamTokens.of(event, s.pending.length > 0 || s.carried != null);
        s.append(tokens);
        if (event.getFeatures() != null) {
            float[] f = new float[event.getFeatures().size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = event.getFeatures().get(i);
            }
            s.features = f;
        }
        metrics.tokensReceived.inc(tokens.length);
        streams.update(s);

        int window = config.windowLength();
        while (true) {
            if (s.inFlight) {
                if (s.pending.length < 2 * window + 1) {
                    break;
                }
                flush(); // the stream's next window needs the state its current one produces
            } else {
                if (!s.hasWindow(window)) {
                    break;
                }
                s.inFlight = true;
                streams.update(s);
                batch.add(window(id, s));
                if (batch.size() >= config.windowsPerBatch()) {
                    flush();
                }
            }
            s = streams.value();
        }
    }

    private TokenWindow window(String id, StreamTrainingState s) {
        int[] tokens = java.util.Arrays.copyOf(s.pending, config.windowLength() + 1);
        return new TokenWindow(id, tokens, s.carried, s.features);
    }

    /** Trains the batch, writes each stream's new state back, and emits a delta when one is due. */
    private void flush() throws Exception {
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

        for (int i = 0; i < b; i++) {
            TokenWindow w = batch.get(i);
            setCurrentKey(w.streamId());
            StreamTrainingState s = streams.value();
            if (s == null) {
                continue; // expired while its window was in the batch
            }
            s.carried = step.nextState().row(i);
            s.consume(config.windowLength());
            s.inFlight = false;
            streams.update(s);
        }
        batch.clear();
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
    private void scheduleFlush() {
        if (config.batchFlushMs() <= 0) {
            return;
        }
        long at = getProcessingTimeService().getCurrentProcessingTime() + config.batchFlushMs();
        getProcessingTimeService().registerTimer(at, time -> {
            flush();
            scheduleFlush();
        });
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (flushOnCheckpoint) {
            flush();
        }
    }

    @Override
    public void endInput() throws Exception {
        flush();
        emitDelta();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        replicaState.update(List.of(snapshotReplica()));
        List<String> ids = new ArrayList<>(batch.size());
        batch.forEach(w -> ids.add(w.streamId()));
        inFlightState.update(ids);
    }

    private byte[] snapshotReplica() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(getRuntimeContext().getTaskInfo().getIndexOfThisSubtask());
            out.writeLong(baseVersion);
            writeFloats(out, trainer.parameters().toFlatFloats());
            writeFloats(out, base.toFlatFloats());
            byte[] optimizer = OptimizerStateCodec.toBytes(trainer.optimizer().exportState());
            out.writeInt(optimizer.length);
            out.write(optimizer);
            out.writeLong(windowsSinceDelta);
            out.writeLong(tokensSinceDelta);
            out.writeDouble(lossNatsSinceDelta);
            out.writeLong(skippedSinceDelta);
        }
        return bytes.toByteArray();
    }

    private void restoreReplica(LanguageModel model, byte[] entry) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
            in.readInt();
            baseVersion = in.readLong();
            ParameterSet params = ParameterSet.fromFlatFloats(modelConfig, readFloats(in), DataType.FLOAT);
            base = ParameterSet.fromFlatFloats(modelConfig, readFloats(in), DataType.FLOAT);
            byte[] optimizer = new byte[in.readInt()];
            in.readFully(optimizer);
            trainer = new Trainer(model, params,
                    Optimizer.restore(TrainingSetup.optimizerConfig(config), OptimizerStateCodec.fromBytes(optimizer)));
            windowsSinceDelta = in.readLong();
            tokensSinceDelta = in.readLong();
            lossNatsSinceDelta = in.readDouble();
            skippedSinceDelta = in.readLong();
        }
    }

    private static int subtaskOf(byte[] entry) {
        return ((entry[0] & 0xff) << 24) | ((entry[1] & 0xff) << 16) | ((entry[2] & 0xff) << 8) | (entry[3] & 0xff);
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        float[] values = new float[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        return values;
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

    /** Counters of this subtask, for tests. */
    TrainingMetrics metrics() {
        return metrics;
    }

}
