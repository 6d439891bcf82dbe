package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.sandbox.ProcThreads.ThreadEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

class ThreadCoresTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void groupsThreadsByTheirKernelNames() {
        assertThat(ThreadCores.groupOf("train (1/2)#0")).isEqualTo("train");
        assertThat(ThreadCores.groupOf("infer -> predic")).isEqualTo("infer");
        assertThat(ThreadCores.groupOf("merge -> merge-")).isEqualTo("merge");
        assertThat(ThreadCores.groupOf("C2 CompilerThre")).isEqualTo("jit");
        assertThat(ThreadCores.groupOf("G1 Refine#0")).isEqualTo("gc");
        assertThat(ThreadCores.groupOf("data-plane-kafk")).isEqualTo("other");
        // a thread named "training-first" is not the training task
        assertThat(ThreadCores.groupOf("training-first")).isEqualTo("other");
    }

    @Test
    void coresAreTheCpuTimeOfEachGroupOverTheWallTimeBetween() {
        ThreadCores.Snapshot from = new ThreadCores.Snapshot(10 * SECOND, List.of(
                new ThreadEntry("1", "train (1/1)#0", 0, 1_000),
                new ThreadEntry("2", "infer -> predic", 5, 500),
                new ThreadEntry("3", "ended-in-between", 0, 300)));
        ThreadCores.Snapshot to = new ThreadCores.Snapshot(20 * SECOND, List.of(
                new ThreadEntry("1", "train (1/1)#0", 0, 1_850),  // 850 ticks in 10 s at 100 a second
                new ThreadEntry("2", "infer -> predic", 5, 900),
                new ThreadEntry("4", "C2 CompilerThre", 0, 120))); // started in between: from zero

        ThreadCores cores = ThreadCores.between(from, to, 100);

        assertThat(cores.of("train")).isCloseTo(0.85, within(1e-9));
        assertThat(cores.of("infer")).isCloseTo(0.40, within(1e-9));
        assertThat(cores.of("jit")).isCloseTo(0.12, within(1e-9));
        assertThat(cores.of("other")).isZero();
        assertThat(cores.total()).isCloseTo(1.37, within(1e-9));
        assertThat(cores.describe()).isEqualTo("train 0.85, infer 0.40, merge 0.00, jit 0.12, gc 0.00, other 0.00");
        assertThat(cores.keyValues()).isEqualTo("train_cores=0.850 infer_cores=0.400 merge_cores=0.000 "
                + "jit_cores=0.120 gc_cores=0.000 other_cores=0.000");
        assertThatThrownBy(() -> cores.of("kafka")).hasMessageContaining("no thread group kafka");
    }
}
