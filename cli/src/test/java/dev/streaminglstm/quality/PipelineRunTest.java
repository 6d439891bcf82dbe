package dev.streaminglstm.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.schema.HyperParameters;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.schema.ModelShape;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The pipeline's training speed, read off its versions' manifests. */
class PipelineRunTest {
    private static final Instant T0 = Instant.parse("2026-12-05T12:00:00Z");

    private static ModelManifest version(long v, long secondsAfterFirst, long tokens) {
        return ModelManifest.newBuilder().setVersion(v).setCreatedAt(T0.plusSeconds(secondsAfterFirst))
                .setTokensTrained(tokens)
                .setShape(ModelShape.newBuilder().setCellType("LSTM").setVocabSize(258).setEmbedSize(4)
                        .setHiddenSize(8).setLayers(1).build())
                .setHyperParameters(HyperParameters.newBuilder().setOptimizer("ADAM").setLearningRate(0.002)
                        .setClipNorm(5).setWindowLength(32).setExtra(Map.of()).build())
                .setParametersChecksum("").setParametersBytes(0).build();
    }

    @Test
    void theSteadySpeedStartsAtTheFirstVersionPastTheWarmUp() {
        // slow while warming up (1,000 tokens/s for 20 s), then 4,000 tokens/s
        List<ModelManifest> versions = List.of(version(1, 0, 0), version(2, 20, 20_000), version(3, 30, 60_000),
                version(4, 40, 100_000), version(5, 60, 180_000));

        assertThat(PipelineRun.tokensPerSecond(versions, Duration.ZERO)).isEqualTo(3_000.0);
        assertThat(PipelineRun.tokensPerSecond(versions, Duration.ofSeconds(25))).as("from version 3 on")
                .isEqualTo(4_000.0);
        assertThat(PipelineRun.tokensPerSecond(versions, Duration.ofSeconds(30))).as("version 3, at exactly 30 s")
                .isEqualTo(4_000.0);
    }

    @Test
    void aRunTooShortForASpanIsNotANumber() {
        List<ModelManifest> versions = List.of(version(1, 0, 0), version(2, 20, 20_000));

        assertThat(PipelineRun.tokensPerSecond(versions, Duration.ofSeconds(20))).as("only the last version after it")
                .isNaN();
        assertThat(PipelineRun.tokensPerSecond(versions, Duration.ofSeconds(30))).isNaN();
        assertThat(PipelineRun.tokensPerSecond(versions.subList(0, 1), Duration.ZERO)).isNaN();
    }
}
