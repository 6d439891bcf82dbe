package dev.streaminglstm.job.inference;

import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.infer.TokenSampler;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.tokens.StreamTokens;
import dev.streaminglstm.job.training.TrainingSetup;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import dev.streaminglstm.store.ModelFollower;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Live next-token predictions, keyed by stream id. Follows the store's serving version (LATEST,
 * or a pin) and swaps models without stopping; a stream whose state was computed by an older
 * version is rebuilt from its kept context with the new weights first, so old state never
 * meets new weights. For every accepted chunk it emits a {@link Prediction}: the top-k next
 * tokens, a short greedy continuation, and the surprise the previous prediction gave to the
 * chunk's first token (none for a stream's first prediction with a model, or the first after a
 * swap: the previous one then came from no model or another one). Before any model exists, it
 * emits {@code NO_MODEL} predictions and keeps the context. A version that cannot be read, or is
 * not of the configured shape, is never served.
 *
 * <p>The store is polled at most every {@value #POLL_INTERVAL_MS} ms of Flink processing time,
 * when an element arrives.
 */
public final class InferenceOperator extends KeyedProcessFunction<String, TextEvent, Prediction> {
    private static final long serialVersionUID = 1L;
    /** Least processing time between two looks at the store's serving version. */
    static final long POLL_INTERVAL_MS = 500;

    private final JobConfig config;

    private transient ModelConfig modelShape;
    private transient ValueState<StreamInferenceState> streams;
    private transient ModelFollower follower;
    private transient ServedModel served;
    /** The session of streams without features on {@link #served}, and its zero state; null until needed. */
    private transient InferenceSession sharedSession;
    private transient float[] zeroState;
    private transient long nextPoll;
    private transient Random random;

    private transient Counter predictions;
    private transient Counter noModel;
    private transient Counter duplicates;
    private transient Counter rebuilds;
    private transient Counter swaps;
    private transient Histogram latencyMillis;

    public InferenceOperator(JobConfig config) {
        this.config = config;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        ValueStateDescriptor<StreamInferenceState> descriptor =
                new ValueStateDescriptor<>("stream-inference", StreamInferenceState.class);
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(config.streamIdleTimeout())
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        streams = getRuntimeContext().getState(descriptor);
        modelShape = TrainingSetup.modelConfig(config);
        follower = new ModelFollower(ModelStores.open(config.store()));
        nextPoll = Long.MIN_VALUE;
        random = new Random(config.seed());
        var group = getRuntimeContext().getMetricGroup();
        predictions = group.counter("predictions");
        noModel = group.counter("predictionsWithoutModel");
        duplicates = group.counter("duplicatesDropped");
        rebuilds = group.counter("stateRebuilds");
        swaps = group.counter("modelSwaps");
        latencyMillis = group.histogram("predictionLatencyMillis", new DescriptiveStatisticsHistogram(1000));
        group.gauge("modelVersion", () -> served == null ? 0L : served.version());
        group.gauge("failedModelReads", () -> follower.failedReads());
    }

    @Override
    public void processElement(TextEvent event, Context ctx, Collector<Prediction> out) throws Exception {
        long started = System.nanoTime();
        StreamInferenceState s = streams.value();
        if (s == null) {
            s = new StreamInferenceState();
        }
        if (event.getSequenceNumber() <= s.lastSequence) {
            duplicates.inc();
            return;
        }
        s.lastSequence = event.getSequenceNumber();
        byte[] bytes = event.getText().getBytes(StandardCharsets.UTF_8);
        int[] tokens = StreamTokens.of(event, s.context.length > 0);
        s.bytePosition += bytes.length;
        if (event.getFeatures() != null) {
            float[] f = new float[event.getFeatures().size()];
            for (int i = 0; i < f.length; i++) {
                f[i] = event.getFeatures().get(i);
            }
            s.features = f;
        }
        pollModel(ctx.timerService().currentProcessingTime());
        Prediction.Builder p = Prediction.newBuilder()
                .setStreamId(event.getStreamId())
                .setSequenceNumber(event.getSequenceNumber())
                .setBytePosition(s.bytePosition)
                .setEventTime(event.getEventTime());
        if (served == null) {
            s.context = appendContext(s.context, tokens);
            streams.update(s);
            noModel.inc();
            out.collect(p.setStatus(PredictionStatus.NO_MODEL).setEmittedAt(Instant.now()).build());
            return;
        }
        InferenceSession session = sessionFor(s.features);
        Double surprise = null;
        if (s.modelVersion != served.version() || s.state == null) {
            rebuild(session, s);
        } else {
            session.restore(s.state, s.next);
            if (tokens.length > 0 && s.next != null) {
                surprise = -Math.log(Math.max(s.next[tokens[0]], Float.MIN_VALUE)) / Math.log(2);
            }
        }
        // An empty chunk adds no token: its prediction is the stream's current one.
        float[] next = tokens.length > 0 ? session.feed(tokens) : session.nextDistribution();
        int[] continuation = next == null ? new int[0]
                : session.generate(config.continuationLength(), 0.0, 0, ByteVocabulary.END, random);

        s.state = session.flatState();
        s.next = next;
        s.modelVersion = served.version();
        s.context = appendContext(s.context, tokens);
        streams.update(s);

        List<TokenProbability> top = new ArrayList<>();
        if (next != null) {
            for (int id : TokenSampler.topK(next, config.topK())) {
                top.add(new TokenProbability(id, ByteVocabulary.display(id), next[id]));
            }
        }
        out.collect(p.setStatus(PredictionStatus.OK)
                .setModelVersion(served.version())
                .setTopK(top)
                .setContinuation(ByteVocabulary.decode(continuation))
                .setSurpriseBits(surprise)
                .setEmittedAt(Instant.now())
                .build());
        predictions.inc();
        latencyMillis.update((System.nanoTime() - started) / 1_000_000);
    }

    /**
     * A session on the served model for a stream with these features (null: none), from a zero state. Streams
     * without features share one per served model: making one costs about a quarter of reading a 64-byte chunk.
     */
    private InferenceSession sessionFor(float[] features) {
        if (features != null) {
            return new InferenceSession(served.model(), served.parameters(), features, ByteVocabulary.START);
        }
        if (sharedSession == null) {
            sharedSession = new InferenceSession(served.model(), served.parameters(), null, ByteVocabulary.START);
            zeroState = sharedSession.flatState();
        }
        sharedSession.restore(zeroState, null);
        return sharedSession;
    }

    /** Recomputes the stream's state from its kept context with the served model's weights. */
    private void rebuild(InferenceSession session, StreamInferenceState s) {
        if (s.context.length > 0) {
            session.feed(s.context);
            rebuilds.inc();
        }
    }

    private int[] appendContext(int[] context, int[] tokens) {
        int keep = config.contextBytes();
        int[] all = Arrays.copyOf(context, context.length + tokens.length);
        System.arraycopy(tokens, 0, all, context.length, tokens.length);
        return all.length <= keep ? all : Arrays.copyOfRange(all, all.length - keep, all.length);
    }

    private void pollModel(long now) {
        if (now < nextPoll) {
            return;
        }
        nextPoll = now + POLL_INTERVAL_MS;
        if (!follower.poll()) {
            return;
        }
        Optional<StoredModel> current = follower.current();
        if (current.isEmpty()) {
            return;
        }
        try {
            served = ServedModel.decode(current.get().version(), current.get().parameters(), modelShape);
            sharedSession = null;
            swaps.inc();
        } catch (java.io.IOException | RuntimeException e) {
            // Verified by checksum in the store, so this is a model this build cannot read, or one of another
            // shape: keep serving the old one.
            org.slf4j.LoggerFactory.getLogger(InferenceOperator.class)
                    .warn("not serving model version {}: {}", current.get().version(), e.getMessage());
        }
    }
}
