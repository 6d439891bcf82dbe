package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the store's S3 settings come from: the environment, then a --store-config file. */
class StoreOptionsTest {

    @TempDir
    Path dir;

    @Test
    void theEnvironmentGivesCredentialsAndEndpointWithPathStyleAccess() {
        StoreOptions options = new StoreOptions();

        Map<String, String> settings = options.flinkSettings(Map.of(
                "AWS_ACCESS_KEY_ID", "access", "AWS_SECRET_ACCESS_KEY", "secret",
                "S3_ENDPOINT", "http://minio:9000", "HOME", "/root")).toMap();

        assertThat(settings).containsExactlyInAnyOrderEntriesOf(Map.of(
                "s3.access-key", "access", "s3.secret-key", "secret", "s3.endpoint", "http://minio:9000",
                "s3.path.style.access", "true"));
    }

    @Test
    void pathStyleAccessCanBeTurnedOffAndIsNotSetWithoutAnEndpoint() {
        StoreOptions options = new StoreOptions();

        assertThat(options.flinkSettings(Map.of("S3_ENDPOINT", "https://s3.example", "S3_PATH_STYLE_ACCESS", "false"))
                .toMap()).containsEntry("s3.path.style.access", "false");
        assertThat(options.flinkSettings(Map.of("AWS_ACCESS_KEY_ID", "access")).toMap())
                .containsOnlyKeys("s3.access-key");
        assertThat(options.flinkSettings(Map.of()).toMap()).isEmpty();
    }

    @Test
    void theFileWinsOverTheEnvironmentInEitherPropertiesForm() throws IOException {
        StoreOptions options = new StoreOptions();
        options.configFile = Files.writeString(dir.resolve("store.conf"),
                "# Flink settings\ns3.endpoint: http://other:9000\ns3.access-key=from-file\n");

        Map<String, String> settings = options.flinkSettings(Map.of(
                "AWS_ACCESS_KEY_ID", "from-env", "AWS_SECRET_ACCESS_KEY", "secret")).toMap();

        assertThat(settings).containsExactlyInAnyOrderEntriesOf(Map.of(
                "s3.access-key", "from-file", "s3.secret-key", "secret", "s3.endpoint", "http://other:9000"));
    }
}
