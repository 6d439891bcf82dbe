package dev.streaminglstm.job.inference;

import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.job.config.InferenceSettings;
import dev.streaminglstm.job.versions.PublishedModels;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import java.time.Duration;
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
 * Live next-token predictions keyed by stream id, as Flink glue around a {@link StreamPredictor}: each stream's
 * {@link StreamInferenceState} in keyed state, and the served model swapped without stopping as the store's serving
 * version (LATEST, or a pin) moves, looked at when an element arrives, at most every {@code --serving-poll-ms}
 * ms of processing time.
 */
public final class InferenceOperator extends KeyedProcessFunction<String, TextEvent, Prediction> {
    private static final long serialVersionUID = 2L;

    private final InferenceSettings settings;
    private final PublishedModels models;
    private final Duration streamIdleTimeout;
    private final long seed;

    private transient ValueState<StreamInferenceState> streams;
    private transient PublishedModels.Follower serving;
    private transient StreamPredictor predictor;

    private transient Counter predictions;
    private transient Counter noModel;
    private transient Counter swaps;
    private transient Histogram latencyMillis;

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
    public void open(OpenContext openContext) throws Exception {
        ValueStateDescriptor<StreamInferenceState> descriptor =
                new ValueStateDescriptor<>("stream-inference", new StreamInferenceStateSerializer());
        descriptor.enableTimeToLive(StateTtlConfig.newBuilder(streamIdleTimeout)
                .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                .build());
        streams = getRuntimeContext().getState(descriptor);
        serving = models.followServing(settings.servingPollMs());
        var group = getRuntimeContext().getMetricGroup();
        predictions = group.counter("predictions");
        noModel = group.counter("predictionsWithoutModel");
        Counter duplicates = group.counter("duplicatesDropped");
        Counter rebuilds = group.counter("stateRebuilds");
        swaps = group.counter("modelSwaps");
        latencyMillis = group.histogram("predictionLatencyMillis", new DescriptiveStatisticsHistogram(1000));
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
    public void processElement(TextEvent event, Context ctx, Collector<Prediction> out) throws Exception {
        long started = System.nanoTime();
        ServableModel newer = serving.poll(ctx.timerService().currentProcessingTime());
        if (newer != null) {
            predictor.serve(newer);
            swaps.inc();
        }
        StreamInferenceState s = streams.value();
        if (s == null) {
            s = new StreamInferenceState();
        }
        Prediction p = predictor.predict(event, s);
        if (p == null) {
            return;
        }
        streams.update(s);
        out.collect(p);
        if (p.getStatus() == PredictionStatus.NO_MODEL) {
            noModel.inc();
            return;
        }
        predictions.inc();
        latencyMillis.update((System.nanoTime() - started) / 1_000_000);
    }
}
