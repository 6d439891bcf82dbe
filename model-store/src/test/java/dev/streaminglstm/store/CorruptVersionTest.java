package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every way a version can be torn or damaged is rejected with a message saying which way, on local files and S3. */
@ParameterizedClass
@EnumSource(StoreBackend.class)
class CorruptVersionTest {

    /** Version 3 of the test store is damaged; version 4 is a good neighbour. */
    enum Damage {
        NO_MARKER("it is not committed: no _COMMITTED marker (torn or unfinished write)") {
            @Override
            void apply(StoreLocation root) throws IOException {
                root.delete("versions/3/_COMMITTED");
            }
        },
        MISSING_PARAMETERS("parameters.bin is missing") {
            @Override
            void apply(StoreLocation root) throws IOException {
                root.delete("versions/3/parameters.bin");
            }
        },
        TRUNCATED_PARAMETERS("parameters.bin holds 501 bytes but the manifest says 1003") {
            @Override
            void apply(StoreLocation root) throws IOException {
                String file = "versions/3/parameters.bin";
                root.write(file, Arrays.copyOf(root.read(file), 501));
            }
        },
        EXTENDED_PARAMETERS("parameters.bin holds more than 1003 bytes but the manifest says 1003") {
            @Override
            void apply(StoreLocation root) throws IOException {
                String file = "versions/3/parameters.bin";
                root.write(file, Arrays.copyOf(root.read(file), 2000));
            }
        },
        FLIPPED_BYTE("parameters.bin has SHA-256 ") {
            @Override
            void apply(StoreLocation root) throws IOException {
                String file = "versions/3/parameters.bin";
                byte[] bytes = root.read(file);
                bytes[bytes.length / 2] ^= 0x01;
                root.write(file, bytes);
            }
        },
        MISSING_MANIFEST("manifest.json is missing") {
            @Override
            void apply(StoreLocation root) throws IOException {
                root.delete("versions/3/manifest.json");
            }
        },
        BAD_MANIFEST_JSON("manifest.json is not a valid ModelManifest: ") {
            @Override
            void apply(StoreLocation root) throws IOException {
                String file = "versions/3/manifest.json";
                String json = root.readString(file);
                root.writeString(file, json.substring(0, json.length() / 2));
            }
        },
        WRONG_VERSION_IN_MANIFEST("manifest.json says version 4 but sits in the directory of version 3") {
            @Override
            void apply(StoreLocation root) throws IOException {
                root.write("versions/3/manifest.json", root.read("versions/4/manifest.json"));
            }
        };

        final String problem;

        Damage(String problem) {
            this.problem = problem;
        }

        abstract void apply(StoreLocation root) throws IOException;
    }

    @Parameter StoreBackend backend;

    @ParameterizedTest
    @EnumSource(Damage.class)
    void damagedVersionIsRejectedWithTheProblemNamed(Damage damage, @TempDir Path temporaryFolder)
            throws IOException {
        StoreLocation root = backend.newLocation(temporaryFolder);
        ModelStore store = root.open();
        publish(store, 3);
        publish(store, 4);
        damage.apply(root);

        assertThatThrownBy(() -> store.readVersion(3))
                .isInstanceOfSatisfying(
                        CorruptVersionException.class, e -> assertThat(e.version()).isEqualTo(3))
                .hasMessageStartingWith("model version 3 at " + root.describe("versions/3"))
                .hasMessageContaining(" is unusable: " + damage.problem);
        assertThat(store.readVersion(4).parameters()).isEqualTo(parameters(4));
    }
}
