package dev.streaminglstm.job.training;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Which windows form a batch, and when a partly filled one is due. */
class WindowBatcherTest {

    private static TokenWindow window(String stream) {
        return new TokenWindow(stream, new int[] {1, 2, 3}, null, null);
    }

    @Test
    void aBatchIsFullAtItsSizeAndTakingItLeavesItEmpty() {
        WindowBatcher batcher = new WindowBatcher(2, 200);
        batcher.add(window("a"));
        assertThat(batcher.full()).isFalse();
        batcher.add(window("b"));
        assertThat(batcher.full()).isTrue();
        assertThat(batcher.streamIds()).containsExactly("a", "b");

        assertThat(batcher.take()).extracting(TokenWindow::streamId).containsExactly("a", "b");
        assertThat(batcher.isEmpty()).isTrue();
        assertThat(batcher.size()).isZero();
    }

    @Test
    void continuationWindowsOfABacklogAreFlushedSoonerThanAnInterval() {
        WindowBatcher batcher = new WindowBatcher(4, 200);
        assertThat(batcher.flushes()).isTrue();
        assertThat(batcher.nextFlushDelayMs()).as("nothing waits").isEqualTo(200);
        batcher.add(window("a"));
        assertThat(batcher.nextFlushDelayMs()).as("a backlogged stream's next window waits").isEqualTo(
                WindowBatcher.BACKLOG_FLUSH_MS);
    }

    @Test
    void withoutAFlushIntervalOnlyFullBatchesAreTrained() {
        assertThat(new WindowBatcher(4, 0).flushes()).isFalse();
    }
}
