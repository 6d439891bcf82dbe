package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each benchmark of the running system, end to end at tiny sizes (a real broker, the job on a MiniCluster): it
 * ends by itself and prints its figures last as key=value pairs, which are sane. Timings are not checked here.
 */
class BenchCommandsITCase {
    /** A model and batches small enough to train within seconds on 2 cores. */
    private static final List<String> TINY = List.of("--hidden", "16", "--embed", "8", "--window", "8", "--batch",
            "4", "--chunk-bytes", "16");

    private static Map<String, String> figures(String... args) {
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as("exit code; stderr: %s", run.err()).isZero();
        Map<String, String> figures = new HashMap<>();
        for (String pair : run.lastLine().split(" ")) {
            String[] kv = pair.split("=", 2);
            assertThat(kv).as("a key=value pair in the last line: %s", run.lastLine()).hasSize(2);
            figures.put(kv[0], kv[1]);
        }
        return figures;
    }

    private static String[] bench(String name, String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("bench", name));
        all.addAll(TINY);
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    private static double number(Map<String, String> figures, String key) {
        assertThat(figures).containsKey(key);
        return Double.parseDouble(figures.get(key));
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void pipelineComparesTheJobWithTheKernelAtTheSameShape() {
        Map<String, String> f = figures(bench("pipeline", "--streams", "8", "--warmup-s", "1", "--measure-s", "3",
                "--kernel-tokens", "2000", "--checkpoint-interval-ms", "1000"));

        assertThat(f.get("streams")).isEqualTo("8");
        double tokens = number(f, "tokens_per_s");
        double kernel = number(f, "kernel_tokens_per_s");
        assertThat(tokens).isPositive();
        assertThat(kernel).isPositive();
        assertThat(number(f, "pipeline_over_kernel")).isCloseTo(tokens / kernel,
                org.assertj.core.data.Offset.offset(0.01 + 0.01 * tokens / kernel));
        // inference and training both ran in the span and took CPU time: a finite, positive ratio
        assertThat(number(f, "inference_over_training")).isPositive().isLessThan(100);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void latencyMeasuresEveryRecordOfTheSpanToItsPrediction() {
        Map<String, String> f = figures(bench("latency", "--streams", "4", "--rate", "1500", "--warmup-s", "3",
                "--duration-s", "3", "--checkpoint-interval-ms", "1000"));

        double p50 = number(f, "p50_ms");
        assertThat(p50).isNotNegative();
        assertThat(number(f, "p99_ms")).isGreaterThanOrEqualTo(p50);
        assertThat(number(f, "max_ms")).isGreaterThanOrEqualTo(number(f, "p99_ms"));
        assertThat(number(f, "rate_bytes_per_s")).isEqualTo(1500);
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void noVersionReachesAPredictionBeforeItsCheckpointCompleted() {
        Map<String, String> f = figures(bench("freshness", "--streams", "4", "--rate", "1500",
                "--serving-poll-ms", "50", "--duration-s", "5", "--checkpoint-interval-ms", "1000"));

        assertThat(number(f, "freshness_min_ms")).as("LATEST moves after the checkpoint completed").isNotNegative();
        assertThat(number(f, "freshness_ms")).isGreaterThanOrEqualTo(number(f, "freshness_min_ms"));
        assertThat(number(f, "freshness_max_ms")).isGreaterThanOrEqualTo(number(f, "freshness_ms"));
        assertThat(f.get("serving_poll_ms")).isEqualTo("50");
    }

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void stateCountsTheKeyedBytesOfEveryStreamInAFullCheckpoint() {
        Map<String, String> f = figures(bench("state", "--streams", "40"));

        double training = number(f, "training_bytes_per_stream");
        double inference = number(f, "inference_bytes_per_stream");
        // each holds at least a stream's (h, c): 2 x 16 floats
        assertThat(training).isGreaterThan(2 * 16 * 4);
        assertThat(inference).isGreaterThan(2 * 16 * 4);
        assertThat(number(f, "bytes_per_stream")).isCloseTo(training + inference,
                org.assertj.core.data.Offset.offset(1.0));
        assertThat(number(f, "checkpoint_s")).isPositive();
        assertThat(number(f, "incremental_bytes")).isPositive();
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void parallelComparesOneAndTwoReplicasAndSimulatesTheMerger() {
        // 6,000 tokens are three batches of 32 x 64: not all trained yet when the first batch is seen (no warm-up)
        Map<String, String> f = figures(bench("parallel", "--streams", "8", "--tokens", "6000", "--warmup-s", "0",
                "--checkpoint-interval-ms", "1000", "--held-out-bytes", "2000", "--sim-hidden", "16"));

        assertThat(number(f, "throughput_ratio")).isPositive().isFinite();
        assertThat(number(f, "bpc_p1")).isBetween(0.0, 9.0);
        assertThat(number(f, "bpc_p2")).isBetween(0.0, 9.0);
        assertThat(number(f, "merger_load")).isPositive();
    }

    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void parallelWithTooFewTokensForItsWarmUpSaysSoAndFails() {
        // the first batch alone may train 200 tokens; 5 s later every pre-loaded record has been flushed and trained
        CliRun run = CliRun.of(bench("parallel", "--streams", "8", "--tokens", "200", "--warmup-s", "5",
                "--checkpoint-interval-ms", "1000", "--held-out-bytes", "2000", "--sim-hidden", "16"));

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("trained its 200 tokens before its 5 s warm-up ended");
        assertThat(run.lastLine()).startsWith("throughput_ratio=NaN ");
    }

    @Test
    void aBadFlagIsOneLineAndExitCode2() {
        CliRun latency = CliRun.of("bench", "latency", "--rate", "-5");
        CliRun pipeline = CliRun.of("bench", "pipeline", "--streams", "0");
        CliRun job = CliRun.of("bench", "state", "--job-flag=--hidden=0");
        CliRun quality = CliRun.of("bench", "quality", "--train", "pom.xml", "--heldout", "pom.xml", "--chunk-bytes", "2");
        CliRun early = CliRun.of("bench", "quality", "--train", "pom.xml", "--heldout", "pom.xml",
                "--early-checkpoints", "5");
        CliRun split = CliRun.of("bench", "quality", "--train", "pom.xml", "--heldout", "pom.xml", "--split", "words");

        for (CliRun run : List.of(latency, pipeline, job, quality, early, split)) {
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.errLines()).hasSize(1);
        }
        assertThat(latency.err()).contains("--rate");
        assertThat(pipeline.err()).contains("--streams");
        assertThat(job.err()).contains("--hidden");
        assertThat(quality.err()).contains("--chunk-bytes: must be between 4 and 65536, was 2");
        assertThat(early.err()).contains("--early-checkpoints': '5' is not a duration");
        assertThat(split.err()).contains("--split': 'words' is not lines or paragraphs");
    }
}
