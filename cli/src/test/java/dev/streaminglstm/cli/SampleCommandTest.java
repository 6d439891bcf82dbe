package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sample} on versions whose next-token distribution is known exactly. */
class SampleCommandTest {

    private static final Instant T0 = Instant.parse("2025-03-04T05:06:07Z");

    @TempDir
    Path dir;

    private StoreVersions versions;

    @BeforeEach
    void versionOneWritesBAndVersionTwoWritesA() throws IOException {
        versions = new StoreVersions(dir.resolve("store"));
        versions.publish(1, T0, 5.0, 100, StoreVersions.favouring('b', 30));
        versions.publish(2, T0.plusSeconds(60), 4.0, 200, StoreVersions.favouring('a', 30));
    }

    @Test
    void printsThePromptAndTheContinuationOfTheServedVersion() {
        CliRun run = CliRun.of("sample", "--store", versions.uri(), "--prompt", "Grüße: ", "--length", "6",
                "--temperature", "0");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("Grüße: aaaaaa\n");
        assertThat(run.err()).contains("version 2").contains("seed ");
    }

    @Test
    void aNamedVersionOrAPinnedOneIsSampledInsteadOfLatest() throws IOException {
        CliRun named = CliRun.of("sample", "--store", versions.uri(), "--version", "1", "--length", "3",
                "--seed", "1");
        versions.store().pin(1);
        CliRun pinned = CliRun.of("sample", "--store", versions.uri(), "--length", "3", "--seed", "1");

        assertThat(named.out()).isEqualTo("bbb\n");
        assertThat(pinned.out()).isEqualTo("bbb\n");
    }

    @Test
    void stopsAtTheEndMark() throws IOException {
        versions.publish(3, T0.plusSeconds(120), 3.0, 300, StoreVersions.favouring(ByteVocabulary.END, 30));

        CliRun run = CliRun.of("sample", "--store", versions.uri(), "--prompt", "done", "--length", "50");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo("done\n");
    }

    @Test
    void theSameSeedDrawsTheSameTextAndAnotherSeedOtherText() throws IOException {
        versions.publish(3, T0.plusSeconds(120), 8.0, 300, StoreVersions.uniform());

        String first = CliRun.of("sample", "--store", versions.uri(), "--length", "60", "--temperature", "1",
                "--seed", "7").out();
        String again = CliRun.of("sample", "--store", versions.uri(), "--length", "60", "--temperature", "1",
                "--seed", "7").out();
        String other = CliRun.of("sample", "--store", versions.uri(), "--length", "60", "--temperature", "1",
                "--seed", "8").out();

        assertThat(first).isEqualTo(again).isNotEqualTo(other);
    }

    @Test
    void topKLimitsTheDrawToTheMostLikelyTokens() throws IOException {
        // logit 1 against 257 tokens of logit 0: at temperature 5 'c' alone would be a rare draw
        versions.publish(3, T0.plusSeconds(120), 8.0, 300, StoreVersions.favouring('c', 1));

        CliRun topOne = CliRun.of("sample", "--store", versions.uri(), "--length", "40", "--temperature", "5",
                "--top-k", "1", "--seed", "3");
        CliRun all = CliRun.of("sample", "--store", versions.uri(), "--length", "40", "--temperature", "5",
                "--seed", "3");

        assertThat(topOne.out()).isEqualTo("c".repeat(40) + "\n");
        assertThat(all.out()).isNotEqualTo(topOne.out());
    }

    @Test
    void badSettingsAreUsageErrorsOfOneLine() {
        CliRun temperature = CliRun.of("sample", "--store", versions.uri(), "--temperature", "-1");
        CliRun length = CliRun.of("sample", "--store", versions.uri(), "--length", "0");
        CliRun topK = CliRun.of("sample", "--store", versions.uri(), "--top-k", "300");

        assertThat(temperature.exitCode()).isEqualTo(2);
        assertThat(temperature.errLines()).singleElement().asString().contains("--temperature");
        assertThat(length.exitCode()).isEqualTo(2);
        assertThat(length.errLines()).singleElement().asString().contains("--length");
        assertThat(topK.exitCode()).isEqualTo(2);
        assertThat(topK.errLines()).singleElement().asString().contains("--top-k");
    }

    @Test
    void aVersionThatIsNotInTheStoreIsOneLineAndExitCode1() {
        CliRun run = CliRun.of("sample", "--store", versions.uri(), "--version", "9");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("streaming-lstm sample: model version 9").contains("does not exist");
        assertThat(run.out()).isEmpty();
    }
}
