package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench adaptation} on a uniform model, whose bits are known, and documents that repeat themselves. */
class AdaptationCommandTest {

    @TempDir
    Path dir;

    private StoreVersions versions;
    private Path text;

    @BeforeEach
    void aUniformModelAndThreeDocuments() throws IOException {
        versions = new StoreVersions(dir.resolve("store"));
        versions.publish(1, Instant.parse("2025-03-04T05:06:07Z"), 8.0, 100, StoreVersions.uniform());
        text = dir.resolve("text.txt");
        Files.writeString(text, "skipped: not scored\n" + "abc ".repeat(60) + "\n" + "xyz ".repeat(60) + "\n",
                StandardCharsets.UTF_8);
    }

    @Test
    void theModelAsItIsScoresLog2OfTheVocabularyAndBothAdaptationsLearnTheRepeats() {
        CliRun run = CliRun.of("bench", "adaptation", "--store", versions.uri(), "--text", text.toString(),
                "--split", "lines", "--skip", "1", "--head-rates", "0.1,0.3", "--full-rates", "0.3", "--window", "8");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, String> figures = keyValues(run.lastLine());
        assertThat(figures).containsKeys("none_bpc", "head_bpc", "head_rate", "full_bpc", "full_rate",
                "none_tokens_per_s", "head_tokens_per_s", "full_tokens_per_s", "tokens", "version");
        assertThat(Double.parseDouble(figures.get("none_bpc")))
                .isCloseTo(Math.log(ByteVocabulary.SIZE) / Math.log(2), within(1e-4));
        assertThat(Double.parseDouble(figures.get("head_bpc"))).isLessThan(4.0);
        assertThat(Double.parseDouble(figures.get("full_bpc"))).isLessThan(7.0);
        assertThat(figures.get("head_rate")).isIn("0.1", "0.3");
        assertThat(figures.get("tokens")).isEqualTo("480"); // the two documents after the skipped one
        assertThat(figures.get("version")).isEqualTo("1");
        assertThat(run.out()).contains("documents 1..2 of").contains("head        0.1").contains("full        0.3");
    }

    @Test
    void theHeadStepsOnceAWindowWhenAskedAndSaysSo() {
        CliRun perByte = CliRun.of("bench", "adaptation", "--store", versions.uri(), "--text", text.toString(),
                "--split", "lines", "--skip", "1", "--head-rates", "0.3", "--full-rates", "none");
        CliRun perWindow = CliRun.of("bench", "adaptation", "--store", versions.uri(), "--text", text.toString(),
                "--split", "lines", "--skip", "1", "--head-rates", "0.3", "--full-rates", "none", "--head-window",
                "64");

        assertThat(perWindow.exitCode()).as(perWindow.err()).isZero();
        assertThat(perWindow.out()).contains("head's window 64");
        double byByte = Double.parseDouble(keyValues(perByte.lastLine()).get("head_bpc"));
        double byWindow = Double.parseDouble(keyValues(perWindow.lastLine()).get("head_bpc"));
        // the repeats are learnt later with fewer steps
        assertThat(byWindow).isGreaterThan(byByte).isLessThan(Double.parseDouble(
                keyValues(perWindow.lastLine()).get("none_bpc")));
    }

    @Test
    void noneSkipsAMethod() {
        CliRun run = CliRun.of("bench", "adaptation", "--store", versions.uri(), "--text", text.toString(),
                "--split", "lines", "--head-rates", "none", "--full-rates", "none");

        assertThat(run.exitCode()).as(run.err()).isZero();
        Map<String, String> figures = keyValues(run.lastLine());
        assertThat(figures.get("head_bpc")).isEqualTo("nan");
        assertThat(figures.get("full_bpc")).isEqualTo("nan");
    }

    @Test
    void aBadFlagIsNamedAndExitsWith2() {
        assertBad("--head-rates: 'fast' is not a number", "--head-rates", "0.1,fast");
        assertBad("--full-rates: each rate must be above 0", "--full-rates", "0");
        assertBad("--documents: must be between 1 and 100000, was 0", "--documents", "0");
        assertBad("--head-window: must be between 1 and 4096, was 0", "--head-window", "0");
        assertBad("--head-units: must be between 1 and the model's hidden size", "--head-units", "0");
        assertBad("option '--split': 'words' is not lines or paragraphs", "--split", "words");
        assertBad("has no documents after the first 9", "--skip", "9", "--split", "lines");
    }

    private void assertBad(String message, String... flags) {
        String[] args = concat(new String[] {"bench", "adaptation", "--store", versions.uri(), "--text",
            text.toString()}, flags);
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.out()).isEqualTo(2);
        assertThat(run.err()).contains(message);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private static Map<String, String> keyValues(String line) {
        return Arrays.stream(line.split(" ")).map(pair -> pair.split("=", 2))
                .collect(Collectors.toMap(kv -> kv[0], kv -> kv.length > 1 ? kv[1] : ""));
    }
}
