package dev.streaminglstm.job.training;

import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.train.Trainer;
import dev.streaminglstm.job.tokens.StreamTokens;
import dev.streaminglstm.schema.TextEvent;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Truncated-BPTT training on many streams at once, without Flink: each chunk becomes tokens, a stream's ready
 * window joins the {@link WindowBatcher}'s batch, the {@link Replica} trains full batches, each stream's new
 * (h, c) goes back to its state, and a delta goes out when {@link #publish()} is called (before each checkpoint
 * barrier), or else every {@code publishEveryWindows} windows. The training operator runs it on keyed state; an
 * offline replay runs it on a map and gets the same batches.
 */
public final class StreamTrainer {

    /** Per-stream training state by stream id: Flink keyed state in the operator, a map in a replay. */
    public interface StreamStates {
        /** The stream's state, or null for a new (or expired) stream. */
        StreamTrainingState get(String streamId) throws Exception;

        void put(String streamId, StreamTrainingState state) throws Exception;
    }

    /** What happens as the trainer goes, for metrics. */
    public interface Listener {
        default void tokensReceived(int tokens) {}

        default void duplicateDropped() {}

        default void batchTrained(int windows, Trainer.Step step, long nanos) {}

        default void deltaSent() {}

        default void rebased() {}
    }

    private final int window;
    private final int publishEveryWindows;
    private final int subtask;
    private final Replica replica;
    private final WindowBatcher batcher;
    private final StreamStates states;
    private final Supplier<ServableModel> newerGlobal;
    private final Consumer<ParameterDelta> deltas;
    private final Listener listener;

    /**
     * @param window tokens per window T
     * @param publishEveryWindows 0: a delta goes out on {@link #publish()} only; N: every N windows instead
     * @param newerGlobal the global model when a newer version is published (else null), or null when the replica
     *     is the global model
     * @param deltas where the replica's deltas go
     */
    public StreamTrainer(int window, int publishEveryWindows, int subtask, Replica replica, WindowBatcher batcher,
            StreamStates states, Supplier<ServableModel> newerGlobal, Consumer<ParameterDelta> deltas,
            Listener listener) {
        this.window = window;
        this.publishEveryWindows = publishEveryWindows;
        this.subtask = subtask;
        this.replica = replica;
        this.batcher = batcher;
        this.states = states;
        this.newerGlobal = newerGlobal;
        this.deltas = deltas;
        this.listener = listener;
    }

    /** Takes a stream's chunk: a replay (sequence number not above the last) is dropped. */
    public void accept(TextEvent event) throws Exception {
        String id = event.getStreamId();
        StreamTrainingState s = states.get(id);
        if (s == null) {
            s = new StreamTrainingState();
        }
        if (event.getSequenceNumber() <= s.lastSequence) {
            listener.duplicateDropped();
            return;
        }
        s.lastSequence = event.getSequenceNumber();
        int[] tokens = StreamTokens.of(event, s.hasTokens());
        s.append(tokens);
        float[] features = StreamTokens.features(event);
        if (features != null) {
            s.features = features;
        }
        listener.tokensReceived(tokens.length);
        // A stream already in the batch keeps its further windows pending: they follow as continuations.
        boolean joins = !s.inFlight && s.hasWindow(window);
        s.inFlight |= joins;
        states.put(id, s);
        if (joins) {
            batcher.add(s.window(id, window));
            trainFullBatches();
        }
    }

    /** Trains while the batch is full; continuation windows may fill it again. */
    public void trainFullBatches() throws Exception {
        while (batcher.full()) {
            trainBatch();
        }
    }

    /**
     * Trains the batch (if any), writes each stream's new state back, starts the next batch with the next window of
     * every stream that has one, and sends a delta when one is due.
     */
    public void trainBatch() throws Exception {
        if (batcher.isEmpty()) {
            return;
        }
        rebaseOnNewerGlobal();
        List<TokenWindow> batch = batcher.take();
        long started = System.nanoTime();
        Trainer.Step step = replica.train(batch);
        listener.batchTrained(batch.size(), step, System.nanoTime() - started);
        for (int i = 0; i < batch.size(); i++) {
            String id = batch.get(i).streamId();
            StreamTrainingState s = states.get(id);
            if (s == null) {
                continue; // expired while its window was in the batch
            }
            s.carried = step.nextState().row(i);
            s.consume(window);
            s.inFlight = s.hasWindow(window);
            states.put(id, s);
            if (s.inFlight) {
                batcher.add(s.window(id, window));
            }
        }
        if (publishEveryWindows > 0 && replica.deltaDue(publishEveryWindows)) {
            sendDelta();
        }
    }

    /**
     * Before a checkpoint barrier: sends what was trained since the last delta (when deltas do not go out by count),
     * so that the version the merger writes at that checkpoint holds it.
     */
    public void publish() {
        if (publishEveryWindows == 0) {
            sendDelta();
        }
    }

    /** At the end of input: trains every pending window, then sends the last delta. */
    public void finish() throws Exception {
        while (!batcher.isEmpty()) {
            trainBatch();
        }
        sendDelta();
    }

    /** After a restore: the windows these streams had in the batch at the checkpoint join it again. */
    public void rejoin(List<String> streamIds) throws Exception {
        for (String id : streamIds) {
            StreamTrainingState s = states.get(id);
            if (s != null && s.inFlight) {
                batcher.add(s.window(id, window));
            }
        }
    }

    private void sendDelta() {
        ParameterDelta d = replica.takeDelta(subtask);
        if (d != null) {
            deltas.accept(d);
            listener.deltaSent();
        }
    }

    private void rebaseOnNewerGlobal() {
        if (newerGlobal == null) {
            return;
        }
        ServableModel newer = newerGlobal.get();
        if (newer != null && newer.version() > replica.baseVersion()) {
            replica.rebaseOn(newer.version(), newer.parameters());
            listener.rebased();
        }
    }
}
