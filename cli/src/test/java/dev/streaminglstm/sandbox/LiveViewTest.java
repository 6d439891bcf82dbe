package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.sandbox.SandboxStatus.PublishedVersion;
import dev.streaminglstm.sandbox.SandboxStatus.StreamSample;
import java.io.ByteArrayOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LiveViewTest {

    private static final Instant NOW = Instant.parse("2026-01-01T00:10:00Z");
    private static final String ESC = "\u001b[";

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private LiveView view(LiveView.Style style, int width) {
        return new LiveView(new PrintWriter(new OutputStreamWriter(bytes, StandardCharsets.UTF_8)), style, width,
                "europarl · 2 streams", Clock.fixed(NOW, ZoneOffset.UTC));
    }

    private static SandboxStatus status(String text, String continuation) {
        List<PublishedVersion> versions = List.of(
                new PublishedVersion(1, NOW.minusSeconds(60), 4_096, Optional.of(7.5), Optional.empty()),
                new PublishedVersion(2, NOW.minusSeconds(30), 60_000, Optional.of(5.0), Optional.empty()),
                new PublishedVersion(3, NOW.minusSeconds(3), 120_000, Optional.of(3.25), Optional.empty()));
        return new SandboxStatus(Duration.ofSeconds(75), 2, 150_000, 2_000, 7, 1_800, 200, 0, Optional.of(3.9),
                Optional.of(6.5), versions, List.of(new StreamSample("doc-0", text, continuation, 3)),
                new Prequential.Snapshot(300_000, 90_000, Optional.of(5.125), Optional.of(2.875)));
    }

    private String written() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theTerminalViewShowsRatesVersionsFallingLossAndAStreamWithItsContinuation() {
        List<String> lines = view(LiveView.Style.ANSI, 120).render(status("Herr Präsident, ich", " möchte"), NOW);

        assertThat(String.join("\n", lines)).contains("1:15", "europarl · 2 streams", "2,000 B/s",
                "150,000 bytes sent",
                "chunks awaiting a prediction: 7", "2,033 tokens/s", "120,000 tokens trained", "v3, 3 s old",
                "loss 7.50 → 3.25 bpc", "1,800 predictions", "surprise 6.50 → 3.90 bits", "0 dead letters",
                "prequential 5.13 → 2.88 bpc: each byte scored before the model saw it (90,000 tokens)");
        assertThat(lines.get(lines.size() - 1)).startsWith("  doc-0  Herr Präsident, ich")
                .contains("▸ " + ESC + "0;32m möchte");
    }

    @Test
    void eachTerminalRefreshRedrawsTheBlockInPlace() {
        LiveView view = view(LiveView.Style.ANSI, 100);
        SandboxStatus s = status("text", "more");

        view.show(s);
        int lines = view.render(s, NOW).size();
        view.show(s);

        assertThat(written()).startsWith(ESC + "?7l" + ESC + "2K").contains(ESC + lines + "F")
                .endsWith(ESC + "J" + ESC + "?7h");
    }

    @Test
    void textIsCutToTheWidthAndControlCharactersCannotMoveTheCursor() {
        String longText = "line one\nline two\tand \u001b[2J" + "x".repeat(300);
        List<String> lines = view(LiveView.Style.PLAIN, 60).render(status(longText, "next\rbit"), NOW);

        String sample = lines.get(lines.size() - 1);
        assertThat(sample).doesNotContain("\n", "\r", "\t", "\u001b").contains("▸ next⏎bit").contains("…");
        assertThat(lines).allSatisfy(line -> assertThat(line.codePointCount(0, line.length())).isLessThan(60));
        assertThat(LiveView.visible("a\nb\tc\u0000d")).isEqualTo("a⏎b→c·d");
    }

    @Test
    void plainLinesAreAppendedForLogs() {
        LiveView view = view(LiveView.Style.PLAIN, 200);

        view.show(status("abc", "def"));
        view.show(status("abc", "def"));

        assertThat(written()).doesNotContain(ESC);
        assertThat(written().lines().filter(line -> line.startsWith("[1:15] input"))).hasSize(2);
        assertThat(written()).contains("[1:15]   doc-0  abc ▸ def", "model v3", "loss 7.50 → 3.25 bpc",
                "prequential 5.13 → 2.88 bpc");
    }

    @Test
    void clockReadsMinutesAndHours() {
        assertThat(LiveView.clock(Duration.ofSeconds(59))).isEqualTo("0:59");
        assertThat(LiveView.clock(Duration.ofSeconds(3_725))).isEqualTo("1:02:05");
    }
}
