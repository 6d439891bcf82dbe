package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A manifest comes from a store that others can write to: one that is absurdly large, nests deeply, holds huge
 * strings or numbers, or claims impossible counts is refused as a corrupt version, with the reason, and the store
 * neither reads an oversized file whole nor lets the neighbouring version suffer.
 */
class HostileManifestTest {

    /** Far above {@link ManifestJson#MAX_BYTES}: reading it whole would show in the thread's allocations. */
    private static final int OVERSIZED_BYTES = 32 << 20;

    @TempDir
    Path root;

    @Test
    void anOversizedManifestIsRefusedWithoutBeingReadWhole() throws IOException {
        ModelStore store = storeWithVersions3And4();
        Path manifest = root.resolve("versions/3/manifest.json");
        byte[] valid = Files.readAllBytes(manifest);
        try (OutputStream out = Files.newOutputStream(manifest)) {
            out.write(valid);
            out.write(new byte[OVERSIZED_BYTES - valid.length]); // zero bytes after a valid document
        }
        store.readVersion(4); // loads what reading a version loads

        long before = allocatedBytes();
        Throwable refusal = catchThrowable(() -> store.readVersion(3));
        long allocated = allocatedBytes() - before;

        assertRefused(refusal, "it is larger than the 1048576 bytes a manifest may have");
        assertThat(allocated).as("bytes allocated while refusing a %d-byte manifest", OVERSIZED_BYTES)
                .isLessThan(4L << 20);
    }

    @Test
    void deepNestingIsRefused() throws IOException {
        String deep = "[".repeat(100_000) + "]".repeat(100_000);

        assertRefused(withExtraField("\"nested\": " + deep), "it nests deeper than 16 levels");
    }

    @Test
    void aHugeStringIsRefused() throws IOException {
        assertRefused(withExtraField("\"note\": \"" + "x".repeat(200_000) + "\""),
                "it holds a string of 200000 characters, more than 65536");
    }

    @Test
    void aHugeNumberIsRefused() throws IOException {
        assertRefused(withExtraField("\"count\": " + "9".repeat(100)),
                "it holds a number of 100 characters, more than 64");
    }

    @ParameterizedTest
    @CsvSource({
        "parametersBytes, -1, 'parametersBytes is -1, below 0'",
        "tokensTrained, -5, 'tokensTrained is -5, below 0'",
        "layers, 0, 'shape.layers is 0, below 1'",
        "hiddenSize, -2147483648, 'shape.hiddenSize is -2147483648, below 1'"})
    void impossibleCountsAndSizesAreRefused(String field, String value, String problem) throws IOException {
        ModelStore store = storeWithVersions3And4();
        Path manifest = root.resolve("versions/3/manifest.json");
        String json = Files.readString(manifest);
        String replaced = json.replaceFirst("\"" + field + "\" : -?\\d+", "\"" + field + "\" : " + value);
        assertThat(replaced).as("the manifest with %s changed", field).isNotEqualTo(json);
        Files.writeString(manifest, replaced);

        assertRefused(catchThrowable(() -> store.readVersion(3)), problem);
        assertThat(store.readVersion(4).manifest().getVersion()).isEqualTo(4);
    }

    /** Version 3's manifest with one more field first, as read by the store. */
    private Throwable withExtraField(String field) throws IOException {
        ModelStore store = storeWithVersions3And4();
        Path manifest = root.resolve("versions/3/manifest.json");
        Files.writeString(manifest, Files.readString(manifest).replaceFirst("\\{", "{" + field + ", "),
                StandardCharsets.UTF_8);
        Throwable refusal = catchThrowable(() -> store.readVersion(3));
        assertThat(store.readVersion(4).manifest().getVersion()).isEqualTo(4);
        return refusal;
    }

    private void assertRefused(Throwable refusal, String problem) {
        assertThat(refusal).isInstanceOf(CorruptVersionException.class)
                .hasMessageContaining("manifest.json is not a valid ModelManifest: " + problem);
    }

    private ModelStore storeWithVersions3And4() throws IOException {
        ModelStore store = ModelStores.open(root.toString());
        publish(store, 3);
        publish(store, 4);
        return store;
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
