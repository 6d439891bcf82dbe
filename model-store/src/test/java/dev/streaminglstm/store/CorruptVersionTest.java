package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every way a version can be torn or damaged is rejected with a message saying which way. */
class CorruptVersionTest {

    /** Version 3 of the test store is damaged; version 4 is a good neighbour. */
    enum Damage {
        NO_MARKER("it is not committed: no _COMMITTED marker (torn or unfinished write)") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Files.delete(version3.resolve("_COMMITTED"));
            }
        },
        MISSING_PARAMETERS("parameters.bin is missing") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Files.delete(version3.resolve("parameters.bin"));
            }
        },
        TRUNCATED_PARAMETERS("parameters.bin holds 501 bytes but the manifest says 1003") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Path file = version3.resolve("parameters.bin");
                Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 501));
            }
        },
        EXTENDED_PARAMETERS("parameters.bin holds more than 1003 bytes but the manifest says 1003") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Path file = version3.resolve("parameters.bin");
                Files.write(file, Arrays.copyOf(Files.readAllBytes(file), 2000));
            }
        },
        FLIPPED_BYTE("parameters.bin has SHA-256 ") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Path file = version3.resolve("parameters.bin");
                byte[] bytes = Files.readAllBytes(file);
                bytes[bytes.length / 2] ^= 0x01;
                Files.write(file, bytes);
            }
        },
        MISSING_MANIFEST("manifest.json is missing") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Files.delete(version3.resolve("manifest.json"));
            }
        },
        BAD_MANIFEST_JSON("manifest.json is not a valid ModelManifest: ") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Path file = version3.resolve("manifest.json");
                String json = Files.readString(file);
                Files.writeString(file, json.substring(0, json.length() / 2));
            }
        },
        WRONG_VERSION_IN_MANIFEST("manifest.json says version 4 but sits in the directory of version 3") {
            @Override
            void apply(Path version3, Path version4) throws IOException {
                Files.copy(
                        version4.resolve("manifest.json"),
                        version3.resolve("manifest.json"),
                        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        };

        final String problem;

        Damage(String problem) {
            this.problem = problem;
        }

        abstract void apply(Path version3, Path version4) throws IOException;
    }

    @ParameterizedTest
    @EnumSource(Damage.class)
    void damagedVersionIsRejectedWithTheProblemNamed(Damage damage, @org.junit.jupiter.api.io.TempDir
            Path root) throws IOException {
        ModelStore store = ModelStores.open(root.toString());
        publish(store, 3);
        publish(store, 4);
        damage.apply(root.resolve("versions/3"), root.resolve("versions/4"));

        assertThatThrownBy(() -> store.readVersion(3))
                .isInstanceOfSatisfying(
                        CorruptVersionException.class, e -> assertThat(e.version()).isEqualTo(3))
                .hasMessageStartingWith("model version 3 at file:" + root.resolve("versions/3"))
                .hasMessageContaining(" is unusable: " + damage.problem);
        assertThat(store.readVersion(4).parameters()).isEqualTo(parameters(4));
    }
}
