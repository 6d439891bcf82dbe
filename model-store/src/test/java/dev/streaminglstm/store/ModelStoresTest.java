package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ModelStoresTest {

    @TempDir Path root;

    @Test
    void aPlainPathAndItsFileUriOpenTheSameStore() throws IOException {
        publish(ModelStores.open(root.toString()), 1);

        ModelStore viaUri = ModelStores.open("file://" + root);

        assertThat(viaUri.latestVersion()).hasValue(1);
        assertThat(viaUri.readVersion(1).parameters()).isEqualTo(parameters(1));
    }

    @Test
    void aRelativePathIsResolvedAgainstTheWorkingDirectory() throws IOException {
        FileSystemModelStore store = (FileSystemModelStore) ModelStores.open("models/store");

        assertThat(store.root().toUri().getPath())
                .isEqualTo(Path.of("models/store").toAbsolutePath().toString());
    }

    @Test
    void anObjectStoreWithoutItsPluginFailsWithOneLineNamingThePlugin() {
        S3Server.flinkFileSystemsWithoutS3(); // other tests of this JVM may have loaded the plugin
        assertThatThrownBy(() -> ModelStores.open("s3://bucket/prefix"))
                .isInstanceOf(IOException.class)
                .hasMessage(
                        "no Flink filesystem for scheme 's3' (s3://bucket/prefix): put flink-s3-fs-presto"
                                + " or flink-s3-fs-hadoop in Flink's plugins/ folder");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "hdfs://namenode/models | scheme 'hdfs' is not supported",
                "s3:///prefix | names no bucket, expected scheme://bucket/prefix",
                "file://models/store | names host 'models'; a local root is file:///models/store",
                "file:models | must be an absolute path",
                "'  ' | model store location is empty"
            })
    void badLocationsAreRejectedWithTheReason(String location, String reason) {
        assertThatThrownBy(() -> ModelStores.open(location))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }
}
