package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * What {@link Progress} leaves on stderr: outside a terminal (logs, pipes, {@code docker compose logs}) a command
 * that finished ends with one line saying how much it did and how fast; one that failed adds nothing, so that its
 * error stays the only line; in a terminal the bar's line is ended either way.
 */
class ProgressTest {

    private final StringWriter written = new StringWriter();
    private final PrintWriter err = new PrintWriter(written, true);
    private final AtomicLong counter = new AtomicLong();

    @Test
    void outsideATerminalAFinishedRunEndsWithTheTotalTheTimeAndTheRate() {
        try (Progress progress = Progress.start(err, "eval v3", 12_345, counter::get, Progress.Unit.TOKENS, false)) {
            counter.set(12_345);
            progress.finish();
        }

        assertThat(written.toString().lines()).last().asString()
                .matches("eval v3: done, 12,345 tokens in \\d+\\.\\d s, [\\d,]+ tokens/s");
    }

    @Test
    void bytesAreCountedInDecimalUnits() {
        try (Progress progress = Progress.start(err, "produce", -1, counter::get, Progress.Unit.BYTES, false)) {
            counter.set(2_500_000);
            progress.finish();
        }

        assertThat(written.toString().lines()).last().asString()
                .matches("produce: done, 2\\.5 MB in \\d+\\.\\d s, \\d+(\\.\\d)? [KMGT]?B/s");
    }

    @Test
    void outsideATerminalAFailedRunAddsNoLine() {
        try (Progress progress = Progress.start(err, "produce", 100, counter::get, Progress.Unit.BYTES, false)) {
            counter.set(40);
        }

        assertThat(written.toString()).isEmpty();
    }

    @Test
    void inATerminalTheBarIsRedrawnInPlaceAndItsLineEndedBeforeTheFinalLine() {
        try (Progress progress = Progress.start(err, "eval v1", 200, counter::get, Progress.Unit.TOKENS, true)) {
            counter.set(100);
            progress.finish();
        }

        String text = written.toString();
        assertThat(text).startsWith("\reval v1 [###############...............]  50%  100 tokens of 200 tokens");
        // "\r" redraws the bar in place; only "\n" ends a line
        assertThat(List.of(text.split("\n"))).hasSize(2).last().asString().startsWith("eval v1: done, 100 tokens in ");
    }

    @Test
    void finishingTwiceOrClosingAfterFinishingPrintsTheFinalLineOnce() {
        Progress progress = Progress.start(err, "eval v1", 10, counter::get, Progress.Unit.TOKENS, false);
        counter.set(10);
        progress.finish();
        progress.finish();
        progress.close();

        assertThat(written.toString().lines()).singleElement().asString().startsWith("eval v1: done, 10 tokens in ");
    }
}
