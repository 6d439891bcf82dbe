package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval} against bits per byte worked out by hand from the versions' exact distributions. */
class EvalCommandTest {

    private static final Instant T0 = Instant.parse("2025-03-04T05:06:07Z");
    private static final Pattern RESULT = Pattern.compile("bpc=(\\d+\\.\\d{4}) tokens=(\\d+) version=(\\d+)");

    @TempDir
    Path dir;

    private StoreVersions versions;
    private Path text;

    @BeforeEach
    void uniformVersionAndOneThatExpectsA() throws IOException {
        versions = new StoreVersions(dir.resolve("store"));
        versions.publish(1, T0, 8.0, 100, StoreVersions.uniform());
        versions.publish(2, T0.plusSeconds(60), 1.0, 200, StoreVersions.favouring('a', 10));
        text = dir.resolve("text.txt");
        Files.writeString(text, "a".repeat(1000), StandardCharsets.UTF_8);
    }

    @Test
    void aUniformModelScoresLog2OfTheVocabularyOnEveryByte() throws IOException {
        Files.writeString(text, "Grüße aus Köln, 日本語, emoji 😀\n", StandardCharsets.UTF_8);

        CliRun run = CliRun.of("eval", text.toString(), "--store", versions.uri(), "--version", "1", "--window", "7");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher m = RESULT.matcher(run.lastLine());
        assertThat(m.matches()).as(run.lastLine()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isCloseTo(Math.log(ByteVocabulary.SIZE) / Math.log(2),
                within(1e-4));
        assertThat(Long.parseLong(m.group(2))).isEqualTo(Files.size(text));
        assertThat(m.group(3)).isEqualTo("1");
    }

    @Test
    void theServedVersionScoresWhatItExpectsCheaply() {
        CliRun run = CliRun.of("eval", text.toString(), "--store", versions.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher m = RESULT.matcher(run.lastLine());
        assertThat(m.matches()).as(run.lastLine()).isTrue();
        // p(a) = e^10 / (e^10 + 257), whatever came before
        double expected = Math.log(1 + 257 * Math.exp(-10)) / Math.log(2);
        assertThat(Double.parseDouble(m.group(1))).isCloseTo(expected, within(1e-4));
        assertThat(m.group(2)).isEqualTo("1000");
        assertThat(m.group(3)).isEqualTo("2");
    }

    @Test
    void outsideATerminalTheProgressEndsWithTheTokensScoredAndTheRate() {
        CliRun run = CliRun.of("eval", text.toString(), "--store", versions.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.errLines()).last().asString()
                .matches("eval v2: done, 1,000 tokens in \\d+\\.\\d s, [\\d,]+ tokens/s");
    }

    @Test
    void maxBytesScoresOnlyTheStartOfTheFile() {
        CliRun run = CliRun.of("eval", text.toString(), "--store", versions.uri(), "--max-bytes", "100");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.lastLine()).endsWith(" tokens=100 version=2");
    }

    @Test
    void aMissingOrEmptyFileIsAUsageError() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.txt"));

        CliRun missing = CliRun.of("eval", dir.resolve("nope.txt").toString(), "--store", versions.uri());
        CliRun nothing = CliRun.of("eval", empty.toString(), "--store", versions.uri());

        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.errLines()).singleElement().asString().contains("nope.txt: not a readable file");
        assertThat(nothing.exitCode()).isEqualTo(2);
        assertThat(nothing.errLines()).singleElement().asString().contains("is empty");
    }

    @Test
    void aMissingStoreIsOneLineAndExitCode1() {
        CliRun run = CliRun.of("eval", text.toString(), "--store", dir.resolve("elsewhere").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().contains("holds no model versions");
        assertThat(run.out()).isEmpty();
    }
}
