package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.schema.ModelManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.OptionalLong;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code models list/show/pin/unpin} on a real local store. */
class ModelsCommandTest {

    private static final Instant T0 = Instant.parse("2025-03-04T05:06:07Z");

    @TempDir
    Path dir;

    private StoreVersions versions;

    @BeforeEach
    void threeVersionsAndOneUnpublished() throws IOException {
        versions = new StoreVersions(dir.resolve("store"));
        versions.publish(1, T0, null, 0, StoreVersions.uniform());
        versions.publish(2, T0.plusSeconds(60), 6.5, 12_800, StoreVersions.uniform());
        versions.publish(3, T0.plusSeconds(120), 4.25, 25_600, StoreVersions.favouring('a', 3));
        versions.write(4, T0.plusSeconds(180), 4.0, 38_400, StoreVersions.uniform());
    }

    @Test
    void listShowsEveryVersionWithItsManifestAndMarksLatest() throws IOException {
        CliRun run = CliRun.of("models", "list", "--store", versions.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.outLines();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(0).split("\\s{2,}"))
                .containsExactly("VERSION", "PARENT", "CREATED (UTC)", "TOKENS", "WINDOWS", "BPC", "PREQUENTIAL",
                        "SHA-256");
        String checksum = versions.store().readVersion(3).manifest().getParametersChecksum();
        assertThat(lines.get(3).trim().split("\\s{2,}")).containsExactly(
                "3", "2", "2025-03-04 05:08:07", "25600", "400", "4.250", "4.750", checksum.substring(0, 12), "LATEST");
        assertThat(lines.get(1).trim().split("\\s{2,}")).containsExactly(
                "1", "-", "2025-03-04 05:06:07", "0", "0", "-", "-",
                versions.store().readVersion(1).manifest().getParametersChecksum().substring(0, 12));
        assertThat(lines.get(4).trim()).startsWith("4 ").endsWith("(not published)");
    }

    @Test
    void pinAndUnpinMoveWhatReadersServeAndListMarksThePin() throws IOException {
        CliRun pin = CliRun.of("models", "pin", "2", "--store", versions.uri());

        assertThat(pin.exitCode()).as(pin.err()).isZero();
        assertThat(pin.out()).contains("pinned version 2").contains("LATEST (3)");
        assertThat(versions.store().servingVersion()).isEqualTo(OptionalLong.of(2));
        assertThat(CliRun.of("models", "list", "--store", versions.uri()).outLines().get(2)).endsWith("PINNED");

        CliRun unpin = CliRun.of("models", "unpin", "--store", versions.uri());

        assertThat(unpin.exitCode()).as(unpin.err()).isZero();
        assertThat(unpin.out()).contains("unpinned version 2").contains("LATEST (3)");
        assertThat(versions.store().pinnedVersion()).isEmpty();
        assertThat(CliRun.of("models", "unpin", "--store", versions.uri()).out()).startsWith("nothing was pinned");
    }

    @Test
    void pinningAVersionAboveLatestFailsWithOneLineAndChangesNothing() throws IOException {
        CliRun run = CliRun.of("models", "pin", "4", "--store", versions.uri());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("streaming-lstm models pin: cannot pin model version 4");
        assertThat(run.out()).isEmpty();
        assertThat(versions.store().pinnedVersion()).isEmpty();
    }

    @Test
    void pinningAVersionThatDoesNotExistFailsWithOneLine() {
        CliRun run = CliRun.of("models", "pin", "0", "--store", versions.uri());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString().contains("model version 0").contains("does not exist");
    }

    @Test
    void showPrintsTheManifestAsJsonThatDecodesToTheStoredOne() throws IOException {
        CliRun run = CliRun.of("models", "show", "2", "--store", versions.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        ModelManifest shown = new SpecificDatumReader<>(ModelManifest.class).read(null,
                DecoderFactory.get().jsonDecoder(ModelManifest.getClassSchema(), run.out()));
        assertThat(shown).isEqualTo(versions.store().readVersion(2).manifest());
    }

    @Test
    void showWithoutAVersionShowsTheServedOne() throws IOException {
        versions.store().pin(1);

        CliRun run = CliRun.of("models", "show", "--store", versions.uri());

        assertThat(run.exitCode()).as(run.err()).isZero();
        ModelManifest shown = new SpecificDatumReader<>(ModelManifest.class).read(null,
                DecoderFactory.get().jsonDecoder(ModelManifest.getClassSchema(), run.out()));
        assertThat(shown.getVersion()).isEqualTo(1);
    }

    @Test
    void aStoreWithoutVersionsIsOneLineAndExitCode1() {
        CliRun run = CliRun.of("models", "list", "--store", dir.resolve("nothing-here").toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("streaming-lstm models list: model store ")
                .contains("holds no model versions");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aMissingStoreFlagOrSubcommandIsAUsageError() {
        CliRun noStore = CliRun.of("models", "list");
        CliRun noSubcommand = CliRun.of("models");
        CliRun badVersion = CliRun.of("models", "pin", "two", "--store", versions.uri());

        assertThat(noStore.exitCode()).isEqualTo(2);
        assertThat(noStore.errLines()).singleElement().asString().contains("'--store=URI'");
        assertThat(noSubcommand.exitCode()).isEqualTo(2);
        assertThat(noSubcommand.errLines()).singleElement().asString().contains("list, show, pin or unpin");
        assertThat(badVersion.exitCode()).isEqualTo(2);
        assertThat(badVersion.errLines()).singleElement().asString().contains("'two'");
    }
}
