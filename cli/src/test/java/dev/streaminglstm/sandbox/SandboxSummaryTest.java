package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.sandbox.SandboxStatus.PublishedVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SandboxSummaryTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private static PublishedVersion version(long v, long secondsAfterStart, long tokens, Double bpc) {
        return new PublishedVersion(v, T0.plusSeconds(secondsAfterStart), tokens, Optional.ofNullable(bpc),
                Optional.ofNullable(bpc).map(b -> b + 0.5));
    }

    private static SandboxStatus status(List<PublishedVersion> versions) {
        return new SandboxStatus(Duration.ofSeconds(100), 16, 250_000, 4_000, 12, 2_345, 300, 0, Optional.of(3.5),
                Optional.of(6.25), versions, List.of(),
                new Prequential.Snapshot(150_000, 50_000, Optional.of(4.5), Optional.of(2.75)));
    }

    @Test
    void theLastLineHoldsTheFiguresScriptsReadInAFixedOrder() {
        SandboxStatus last = status(List.of(version(1, 10, 4_096, null), version(2, 15, 8_192, 7.25),
                version(3, 50, 123_456, 3.214)));

        SandboxSummary summary = SandboxSummary.of(last, Path.of("/work/run-1"));

        assertThat(summary.keyValues()).isEqualTo("tokens=123456 streams=16 version=3 bpc=3.21 predictions=2345 "
                + "dead_letters=0 first_bpc=7.25 no_model=300 bytes=250000 seconds=100 tokens_per_s=1235 surprise=3.50 "
                + "first_surprise=6.25 prequential_bpc=3.00 recent_prequential_bpc=2.75 prequential_tokens=50000 "
                + "training_prequential_bpc=3.71");
        List<String> report = summary.report().lines().toList();
        assertThat(report.get(report.size() - 1)).isEqualTo(summary.keyValues());
        assertThat(summary.report()).contains("7.25 bpc at the first version, 3.21 bpc now, 3.71 over every token "
                + "trained, each before its step", "/work/run-1",
                "6.25 bits in the first predictions, 3.50 bits in the last ones",
                "prequential 3.00 bpc over 50,000 tokens, each scored before the served model saw it (first 20,000: "
                        + "4.50, last 20,000: 2.75)");
    }

    @Test
    void aRunWithoutAnyVersionSaysSoAndReportsNan() {
        SandboxSummary summary = SandboxSummary.of(status(List.of()), Path.of("/work/run-2"));

        assertThat(summary.keyValues()).startsWith("tokens=0 streams=16 version=0 bpc=nan predictions=2345 "
                + "dead_letters=0 first_bpc=nan ");
        assertThat(summary.report()).contains("no model version was published");
        assertThat(summary.keyValues()).endsWith(" training_prequential_bpc=nan");
    }

    @Test
    void theTrainingRateComesFromTheManifestsOfTheLastThirtySeconds() {
        SandboxStatus s = status(List.of(version(1, 0, 0, 8.0), version(2, 20, 20_000, 6.0),
                version(3, 40, 30_000, 5.0), version(4, 60, 50_000, 4.0)));

        // base: version 2, the newest at least 30 s before version 4: 30,000 tokens in 40 s
        assertThat(s.trainingTokensPerSecond()).hasValue(750.0);
        assertThat(status(List.of(version(1, 0, 10, 8.0))).trainingTokensPerSecond()).isEmpty();
        assertThat(s.firstWithLoss().map(PublishedVersion::version)).hasValue(1L);
        assertThat(s.bytesPerSecond()).isEqualTo(2_500.0);
    }
}
