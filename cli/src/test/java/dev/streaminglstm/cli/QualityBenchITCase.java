package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.sandbox.corpus.Corpus;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bench quality} end to end on a small text and a small model: the embedded pipeline, the replay of its
 * windows, the contiguous and the online learner (the PyTorch peer is left out: it adds minutes). Its figures are
 * checked for sense, never as timings. In the deterministic configuration ({@code --flush-ms 0
 * --flush-on-checkpoint=false}) the replay's deltas, sent where the pipeline sent them (before its checkpoint
 * barriers) and added up as the merger adds them, equal the pipeline's last version bit for bit: the replay is
 * faithful.
 */
class QualityBenchITCase {
    @TempDir
    Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void theBenchmarkRunsEveryLearnerAndTheReplayReachesThePipelinesParametersExactly() throws Exception {
        String text = Corpus.europarl().documents().limit(40).collect(Collectors.joining("\n"));
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        Path train = Files.write(dir.resolve("train.txt"), Arrays.copyOf(bytes, Math.min(bytes.length, 24_000)));
        Path heldout = Files.writeString(dir.resolve("heldout.txt"),
                Corpus.europarl().documents().skip(200).findFirst().orElseThrow());

        CliRun run = CliRun.of("bench", "quality", "--train", train.toString(), "--heldout", heldout.toString(),
                "--split", "lines", "--streams", "6", "--passes", "2", "--points", "3", "--work-dir", dir.resolve("work").toString(),
                "--peer", "none", "--online-hidden", "12", "--online-layers", "2", "--online-embed", "8",
                "--online-max-tokens", "8000",
                "--embed", "8", "--hidden", "24", "--batch", "4", "--window", "16",
                "--checkpoint-interval-ms", "300", "--flush-ms", "0", "--flush-on-checkpoint=false");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, String> figures = Arrays.stream(run.lastLine().split(" "))
                .map(pair -> pair.split("=", 2)).collect(Collectors.toMap(p -> p[0], p -> p[1]));
        assertThat(figures).containsKeys("prequential_bpc", "heldout_bpc", "offline_same_order_bpc",
                "offline_contiguous_bpc", "tokens", "tokens_per_s", "online_prequential_bpc", "steady_tokens_per_s");
        assertThat(Double.parseDouble(figures.get("replay_max_abs_diff"))).as(run.out()).isZero();
        // the training loss of each batch before its step, as the merger summed it into the last version's manifest,
        // is what the replay's own deltas report for the same windows
        assertThat(Double.parseDouble(figures.get("replay_training_loss_diff"))).as(run.out()).isZero();
        assertThat(Double.parseDouble(figures.get("training_prequential_every_byte_bpc"))).as(run.out())
                .isGreaterThanOrEqualTo(Double.parseDouble(figures.get("training_prequential_bpc")));
        assertThat(Long.parseLong(figures.get("tokens"))).as("two passes, all but the last windows").isGreaterThan(40_000);
        // the first versions come at checkpoints: the chunks before them have no model to be scored with; a stream
        // is one open document, so no byte is scored twice
        assertThat(Double.parseDouble(figures.get("prequential_scored"))).as(run.out()).isBetween(0.05, 1.0);
        // every byte sent: the scored ones at their bits, the ones before the first version at 8 bits each
        double scored = Double.parseDouble(figures.get("prequential_scored"));
        assertThat(Double.parseDouble(figures.get("prequential_every_byte_bpc")))
                .isCloseTo(Double.parseDouble(figures.get("prequential_bpc")) * scored + 8 * (1 - scored),
                        org.assertj.core.data.Offset.offset(0.01));
        for (String bpc : new String[] {"prequential_bpc", "heldout_bpc", "offline_same_order_bpc",
                "offline_contiguous_bpc", "online_prequential_bpc", "online_heldout_bpc", "training_prequential_bpc"}) {
            // a byte model that learned anything codes text in less than 8 bits; an untrained one needs about 8
            assertThat(Double.parseDouble(figures.get(bpc))).as(bpc).isBetween(1.0, 7.9);
        }
        // CPU time by thread from /proc: training ran after the first version, and no group used more than the cores
        assertThat(Double.parseDouble(figures.get("train_cores"))).as(run.out()).isPositive();
        double cores = Stream.of("train", "infer", "merge", "jit", "gc", "other")
                .mapToDouble(group -> Double.parseDouble(figures.get(group + "_cores"))).sum();
        assertThat(cores).as(run.out()).isPositive()
                .isLessThanOrEqualTo(Runtime.getRuntime().availableProcessors() * 1.1);
        assertThat(run.out()).contains("held-out bits per byte against tokens trained", "pipeline",
                "same order", "contiguous", "online");
        assertThat(dir.resolve("work")).as("the run folder is deleted without --keep").isEmptyDirectory();
    }
}
