package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where the store's S3 settings come from: the environment, then a --store-config file, then the command line's
 * bounded retries and timeouts for what neither names; and what those bounds do to a store nothing answers for,
 * with Flink's S3 plugin loaded from a plugins folder as the image has it.
 */
class StoreOptionsTest {

    @TempDir
    Path dir;

    @Test
    void theEnvironmentGivesCredentialsAndEndpointWithPathStyleAccess() {
        StoreOptions options = new StoreOptions();

        Map<String, String> settings = withoutClientDefaults(options.flinkSettings(Map.of(
                "AWS_ACCESS_KEY_ID", "access", "AWS_SECRET_ACCESS_KEY", "secret",
                "S3_ENDPOINT", "http://minio:9000", "HOME", "/root")).toMap());

        assertThat(settings).containsExactlyInAnyOrderEntriesOf(Map.of(
                "s3.access-key", "access", "s3.secret-key", "secret", "s3.endpoint", "http://minio:9000",
                "s3.path.style.access", "true"));
    }

    @Test
    void pathStyleAccessCanBeTurnedOffAndIsNotSetWithoutAnEndpoint() {
        StoreOptions options = new StoreOptions();

        assertThat(options.flinkSettings(Map.of("S3_ENDPOINT", "https://s3.example", "S3_PATH_STYLE_ACCESS", "false"))
                .toMap()).containsEntry("s3.path.style.access", "false");
        assertThat(withoutClientDefaults(options.flinkSettings(Map.of("AWS_ACCESS_KEY_ID", "access")).toMap()))
                .containsOnlyKeys("s3.access-key");
        assertThat(withoutClientDefaults(options.flinkSettings(Map.of()).toMap())).isEmpty();
    }

    @Test
    void theFileWinsOverTheEnvironmentInEitherPropertiesForm() throws IOException {
        StoreOptions options = new StoreOptions();
        options.configFile = Files.writeString(dir.resolve("store.conf"),
                "# Flink settings\ns3.endpoint: http://other:9000\ns3.access-key=from-file\n");

        Map<String, String> settings = withoutClientDefaults(options.flinkSettings(Map.of(
                "AWS_ACCESS_KEY_ID", "from-env", "AWS_SECRET_ACCESS_KEY", "secret")).toMap());

        assertThat(settings).containsExactlyInAnyOrderEntriesOf(Map.of(
                "s3.access-key", "from-file", "s3.secret-key", "secret", "s3.endpoint", "http://other:9000"));
    }

    @Test
    void withoutS3SettingsRequestsGetBoundedRetriesAndTimeoutsForBothPlugins() {
        Map<String, String> settings = new StoreOptions().flinkSettings(Map.of()).toMap();

        assertThat(settings).containsAllEntriesOf(Map.of(
                // flink-s3-fs-hadoop reads them as fs.s3a.attempts.maximum, fs.s3a.retry.limit, ...
                "s3.attempts.maximum", "1", "s3.retry.limit", "2", "s3.retry.interval", "500ms",
                "s3.connection.establish.timeout", "5000", "s3.connection.timeout", "30000",
                // flink-s3-fs-presto reads them as presto.s3.max-error-retries, ...
                "s3.max-error-retries", "1", "s3.max-client-retries", "1", "s3.max-backoff-time", "2s",
                "s3.max-retry-time", "20s"));
    }

    @Test
    void aRetryOrTimeoutSettingTheUserGivesUnderAnyPrefixReplacesOnlyThatDefault() throws IOException {
        StoreOptions options = new StoreOptions();
        options.configFile = Files.writeString(dir.resolve("store.conf"), """
                fs.s3a.attempts.maximum: 20
                s3a.retry.limit: 7
                presto.s3.max-retry-time: 10m
                s3.connection.timeout: 200000
                """);

        Map<String, String> settings = options.flinkSettings(Map.of()).toMap();

        assertThat(settings).containsEntry("fs.s3a.attempts.maximum", "20").doesNotContainKey("s3.attempts.maximum")
                .containsEntry("s3a.retry.limit", "7").doesNotContainKey("s3.retry.limit")
                .containsEntry("presto.s3.max-retry-time", "10m").doesNotContainKey("s3.max-retry-time")
                .containsEntry("s3.connection.timeout", "200000")
                .containsEntry("s3.retry.interval", "500ms").containsEntry("s3.max-error-retries", "1");
    }

    /**
     * Flink's S3 plugin (flink-s3-fs-hadoop, copied by the build to target/test-plugins/s3-fs-hadoop) against an
     * endpoint on a local port nothing listens on: opening the store fails with one line naming the store and the
     * endpoint, within the timeout; with the plugin's own retries it would retry for many minutes.
     */
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void anUnreachableS3StoreFailsInOneLineInsteadOfRetryingForMinutes() throws IOException {
        Path plugins = Path.of(System.getProperty("flink.test.plugins.dir", "target/test-plugins"));
        assertThat(plugins.resolve("s3-fs-hadoop")).as("Flink's S3 plugin, copied there by the build").isDirectory();
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        } // closed: connections are refused
        StoreOptions options = new StoreOptions();
        options.uri = "s3://unreachable-bucket/models";
        options.configFile = Files.writeString(dir.resolve("s3.conf"), "s3.endpoint: http://127.0.0.1:" + port
                + "\ns3.path.style.access: true\ns3.access-key: test\ns3.secret-key: test-secret\n");

        Throwable failure = catchThrowable(() -> options.open(Map.of("FLINK_PLUGINS_DIR", plugins.toString())));

        assertThat(failure).isInstanceOf(IOException.class);
        assertThat(StreamingLstmCli.oneLine(failure)).doesNotContain("\n")
                .startsWith("cannot read model store s3://unreachable-bucket/models: ")
                .contains("127.0.0.1:" + port);
    }

    private static Map<String, String> withoutClientDefaults(Map<String, String> settings) {
        Map<String, String> rest = new TreeMap<>(settings);
        StoreOptions.S3_CLIENT_DEFAULTS.keySet().forEach(suffix -> rest.remove("s3." + suffix));
        return rest;
    }
}
