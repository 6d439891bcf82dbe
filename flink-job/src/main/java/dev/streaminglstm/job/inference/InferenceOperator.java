package dev.streaminglstm.job.inference;

import dev.streaminglstm.job.config.InferenceSettings;
import dev.streaminglstm.job.versions.PublishedModels;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Live next-token predictions keyed by stream id, as Flink glue around a {@link StreamPredictor}: each stream's
 * {@link StreamInferenceState} in keyed state, and the served model swapped without stopping as the store's serving
 * version (LATEST, or a pin) moves, or with {@code --draft-interval-ms} as this run's drafts do, looked at no more
 * often than every {@code --serving-poll-ms} ms. Chunks wait in a bundle of at most {@code --inference-bundle} for at
 * most {@code --inference-bundle-ms}, and the streams of a bundle are stepped together
 * ({@link StreamPredictor#predictAll}). The bundle is read before every checkpoint barrier, so a checkpoint never
 * holds a chunk that was not predicted.
 */
public final class InferenceOperator extends AbstractStreamOperator<Prediction>
        implements OneInputStreamOperator<TextEvent, Prediction>, BoundedOneInput {
    private static final long serialVersionUID = 3L;

    private final InferenceSettings settings;
    private final PublishedModels models;
    private final Duration streamIdleTimeout;
    private final long seed;

    private transient ValueState<StreamInferenceState> streams;
    private transient PublishedModels.Follower serving;
    private transient StreamPredictor predictor;
    /** Chunks waiting to be predicted, in arrival order. */
    private transient List<Pending> bundle;
    private transient boolean flushScheduled;
    /** The last checkpoint taken or restored, 0 for none. */
    private transient long lastCheckpoint;

    private transient Counter predictions;
    private transient Counter noModel;
    private transient Counter swaps;
    private transient Histogram latencyMillis;
    private transient Histogram bundleSizes;
    private transient Counter bundles;

    /**
     * @param models the model's shape and the store whose serving version is served
     * @param streamIdleTimeout a stream's state is dropped after this long without input
     * @param seed seed of the sampling
     */
    public InferenceOperator(InferenceSettings settings, PublishedModels models, Duration streamIdleTimeout,
            long seed) {
        this.settings = settings;
        this.models = models;
        this.streamIdleTimeout = streamIdleTimeout;
        this.seed = seed;
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        ValueStateDescriptor<StreamInferenceState> descriptor =
                new ValueStateDescriptor<>("stream-inference", new StreamInferenceStateSerializer());
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(streamIdleTimeout)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        streams = getKeyedStateStore().getState(descriptor);
        lastCheckpoint = context.getRestoredCheckpointId().orElse(0);
    }

    @Override
    public void open() throws Exception {
        super.open();
        bundle = new ArrayList<>();
        serving = settings.draftIntervalMs() > 0
                ? models.followServingAndDrafts(settings.servingPollMs(), PublishedModels.run(getRuntimeContext()),
                        lastCheckpoint)
                : models.followServing(settings.servingPollMs());
        var group = getMetricGroup();
        predictions = group.counter("predictions");
        noModel = group.counter("predictionsWithoutModel");
        Counter duplicates = group.counter("duplicatesDropped");
        Counter rebuilds = group.counter("stateRebuilds");
        swaps = group.counter("modelSwaps");
        latencyMillis = group.histogram("predictionLatencyMillis", new DescriptiveStatisticsHistogram(1000));
        bundleSizes = group.histogram("bundleSize", new DescriptiveStatisticsHistogram(1000));
        bundles = group.counter("bundles");
        Counter scoredBits = group.counter("prequentialBits");
        Counter scoredTokens = group.counter("prequentialTokens");
        PrequentialMeter prequential = new PrequentialMeter();
        group.gauge("prequentialBpc", prequential::recentBpc);
        predictor = new StreamPredictor(settings, seed, new StreamPredictor.Listener() {
            @Override
            public void duplicateDropped() {
                duplicates.inc();
            }

            @Override
            public void stateRebuilt() {
                rebuilds.inc();
            }

            @Override
            public void scored(double bits, int tokens) {
                scoredBits.inc(prequential.add(bits, tokens));
                scoredTokens.inc(tokens);
            }
        });
        group.gauge("modelVersion", () -> predictor.served() == null ? 0L : predictor.served().version());
        group.gauge("failedModelReads", serving::failedReads);
    }

    @Override
    public void processElement(StreamRecord<TextEvent> element) throws Exception {
        // a prediction keeps its chunk's timestamp (the input record's Kafka timestamp), as a process function does
        bundle.add(new Pending(element.getValue(), System.nanoTime(),
                element.hasTimestamp() ? element.getTimestamp() : null));
        if (bundle.size() >= settings.bundle() || settings.bundleMs() == 0) {
            flush();
        } else if (!flushScheduled) {
            flushScheduled = true;
            long at = getProcessingTimeService().getCurrentProcessingTime() + settings.bundleMs();
            getProcessingTimeService().registerTimer(at, time -> {
                flushScheduled = false;
                flush();
            });
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        flush();
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        serving.checkpointTaken(context.getCheckpointId());
    }

    @Override
    public void endInput() throws Exception {
        flush();
    }

    /**
     * Predicts the bundle: its chunks in rounds (a stream's second chunk in the bundle in the second round), the
     * streams of a round together; the predictions go out in arrival order.
     */
    private void flush() throws Exception {
        if (bundle.isEmpty()) {
            return;
        }
        Object key = getCurrentKey();
        PublishedModels.Served newer = serving.poll(getProcessingTimeService().getCurrentProcessingTime());
        if (newer != null) {
            predictor.serve(newer.model(), newer.draft());
            swaps.inc();
        }
        bundleSizes.update(bundle.size());
        bundles.inc();
        Map<String, StreamInferenceState> states = new HashMap<>();
        Set<String> changed = new HashSet<>();
        Prediction[] out = new Prediction[bundle.size()];
        for (List<Integer> round : rounds()) {
            List<TextEvent> events = new ArrayList<>(round.size());
            List<StreamInferenceState> roundStates = new ArrayList<>(round.size());
            for (int i : round) {
                TextEvent event = bundle.get(i).event();
                events.add(event);
                StreamInferenceState s = states.get(event.getStreamId());
                if (s == null) {
                    setCurrentKey(event.getStreamId());
                    s = streams.value() == null ? new StreamInferenceState() : streams.value();
                    states.put(event.getStreamId(), s);
                }
                roundStates.add(s);
            }
            Prediction[] predicted = predictor.predictAll(events, roundStates);
            for (int r = 0; r < round.size(); r++) {
                out[round.get(r)] = predicted[r];
                if (predicted[r] != null) {
                    changed.add(events.get(r).getStreamId());
                }
            }
        }
        for (String stream : changed) {
            setCurrentKey(stream);
            streams.update(states.get(stream));
        }
        for (int i = 0; i < out.length; i++) {
            emit(out[i], bundle.get(i));
        }
        bundle.clear();
        if (key != null) {
            setCurrentKey(key);
        }
    }

    /** The bundle's indexes in rounds: each stream's n-th chunk of the bundle in round n. */
    private List<List<Integer>> rounds() {
        List<List<Integer>> rounds = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < bundle.size(); i++) {
            int round = seen.merge(bundle.get(i).event().getStreamId(), 1, Integer::sum) - 1;
            if (round == rounds.size()) {
                rounds.add(new ArrayList<>());
            }
            rounds.get(round).add(i);
        }
        return rounds;
    }

    private void emit(Prediction p, Pending chunk) {
        if (p == null) {
            return;
        }
        output.collect(chunk.timestamp() == null ? new StreamRecord<>(p) : new StreamRecord<>(p, chunk.timestamp()));
        if (p.getStatus() == PredictionStatus.NO_MODEL) {
            noModel.inc();
            return;
        }
        predictions.inc();
        latencyMillis.update((System.nanoTime() - chunk.arrivedNanos()) / 1_000_000);
    }

    /** A chunk in the bundle: when it arrived, and its record's timestamp (null if none). */
    private record Pending(TextEvent event, long arrivedNanos, Long timestamp) {}
}
