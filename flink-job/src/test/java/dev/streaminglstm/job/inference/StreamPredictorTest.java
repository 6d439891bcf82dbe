package dev.streaminglstm.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.InferenceSettings;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Predictions without Flink: a stream's state kept by the caller, models swapped by the caller. */
class StreamPredictorTest {
    static final ModelConfig MODEL = ModelConfig.lstm(ByteVocabulary.SIZE, 8, 16);

    static ServableModel model(long version, long seed) {
        return new ServableModel(version, Kernel.FAST.create(MODEL),
                ParameterSet.initialize(MODEL, DataType.FLOAT, seed).muli(4));
    }

    static TextEvent event(long seq, String text, boolean start) {
        return TextEvent.newBuilder().setStreamId("s").setSequenceNumber(seq).setText(text)
                .setEventTime(Instant.ofEpochMilli(1000)).setStartsDocument(start).setFeatures(null).build();
    }

    @Test
    void aReplayChangesNothingAndASwapRebuildsTheStreamFromItsContextWithTheNewWeights() {
        AtomicInteger rebuilt = new AtomicInteger();
        AtomicInteger duplicates = new AtomicInteger();
        StreamPredictor predictor = new StreamPredictor(InferenceSettings.parse("--continuation-length", "0"), 1,
                new StreamPredictor.Listener() {
                    @Override
                    public void duplicateDropped() {
                        duplicates.incrementAndGet();
                    }

                    @Override
                    public void stateRebuilt() {
                        rebuilt.incrementAndGet();
                    }
                });
        StreamInferenceState s = new StreamInferenceState();

        assertThat(predictor.predict(event(1, "ab", true), s).getStatus()).isEqualTo(PredictionStatus.NO_MODEL);
        predictor.serve(model(1, 5));
        Prediction first = predictor.predict(event(2, "cd", false), s);
        assertThat(predictor.predict(event(2, "zz", false), s)).as("a replay").isNull();
        assertThat(duplicates).hasValue(1);
        predictor.serve(model(2, 6));
        Prediction second = predictor.predict(event(3, "e", false), s);

        assertThat(first.getModelVersion()).isEqualTo(1);
        assertThat(first.getSurpriseBits()).as("the first prediction with a model").isNull();
        assertThat(second.getModelVersion()).isEqualTo(2);
        assertThat(second.getSurpriseBits()).as("the first after a swap").isNull();
        assertThat(rebuilt).as("once per model: from the kept context").hasValue(2);
        InferenceSession fresh = model(2, 6).session(null);
        float[] expected = fresh.feed(ByteVocabulary.START, 'a', 'b', 'c', 'd', 'e');
        assertThat(second.getTopK().get(0).getProbability())
                .isCloseTo(expected[second.getTopK().get(0).getToken()], within(1e-5f));
        assertThat(s.bytePosition).isEqualTo(5);
    }
}
