package dev.streaminglstm.core.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A smoke run of the comparison on a tiny model, without the peer (it needs Debian's torch):
 * every batch size and thread setting runs, the table has a row per batch size, and the last
 * line holds the figures as key=value pairs. Timing is not checked.
 */
class KernelComparisonTest {

    @Test
    void runsEveryBatchAndSettingAndEndsWithItsFigures() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        KernelComparison.Options options = KernelComparisonArgs.parse(new String[] {"--batch", "1,9", "--seq", "3",
                "--embed", "4", "--hidden", "8", "--vocab", "11", "--tokens", "40", "--warmup", "1", "--rounds", "2",
                "--ours", "1x1,2x1", "--peer", "none", "--streams", "5"}, out).orElseThrow();
        new KernelComparison(options, out).run();

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).filteredOn(l -> l.startsWith("B=9 ours kernel=2 blas=1: tokens/s=")).hasSize(2);
        assertThat(lines).filteredOn(l -> l.startsWith("| 1 | ") || l.startsWith("| 9 | ")).hasSize(2);
        assertThat(lines).filteredOn(l -> l.startsWith("inference: 5 streams")).hasSize(2);
        assertThat(lines).filteredOn(l -> l.startsWith("WARNING: ND4J's OpenMP threads"))
                .hasSize("1".equals(System.getenv("OMP_NUM_THREADS")) ? 0 : 1);
        String last = lines.get(lines.size() - 1);
        for (String key : new String[] {"ceiling_gflops=", "b1_tokens_per_s=", "b9_share_of_ceiling=",
                "inference_batched_tokens_per_s=", "b9_inference_over_training="}) {
            assertThat(last).contains(key);
        }
        assertThat(last).matches("(\\S+=\\S+ ?)+");
    }

    @Test
    void namesABadFlagInOneLine() {
        PrintStream out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> KernelComparisonArgs.parse(new String[] {"--batch", "0"}, out))
                .hasMessage("--batch must be at least 1, was 0");
        assertThatThrownBy(() -> KernelComparisonArgs.parse(new String[] {"--ours", "2"}, out))
                .hasMessageContaining("--ours takes KERNELxBLAS thread pairs");
        assertThatThrownBy(() -> KernelComparisonArgs.parse(new String[] {"--frobnicate", "1"}, out))
                .hasMessageContaining("unknown flag --frobnicate");
        assertThatThrownBy(() -> KernelComparisonArgs.parse(new String[] {"--peer", "maybe"}, out))
                .hasMessageContaining("--peer must be auto, torch or none");
        assertThat(KernelComparisonArgs.parse(new String[] {"--help"}, out)).isEmpty();
    }
}
