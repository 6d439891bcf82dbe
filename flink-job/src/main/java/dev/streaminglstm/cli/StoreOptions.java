package dev.streaminglstm.cli;

import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The options of every command that opens the model store: its location, and the Flink file system settings
 * (S3 credentials and endpoint) from the environment or a file, never from code. Opening initialises Flink's
 * file systems with those settings and the plugins of {@code $FLINK_PLUGINS_DIR} (default {@code ./plugins}),
 * so {@code s3://} works where Flink's S3 plugin is installed. Opening also sets up the command's log
 * ({@link CliLogging}).
 */
public final class StoreOptions {

    /** Environment variables read into Flink settings, each with the setting it becomes. */
    static final Map<String, String> ENVIRONMENT_SETTINGS = Map.of(
            "AWS_ACCESS_KEY_ID", "s3.access-key",
            "AWS_SECRET_ACCESS_KEY", "s3.secret-key",
            "S3_ENDPOINT", "s3.endpoint",
            "S3_PATH_STYLE_ACCESS", "s3.path.style.access");

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--store", required = true, paramLabel = "URI",
            description = "The model store: a local path, file:///..., or s3://bucket/prefix (needs Flink's S3 "
                    + "plugin under $FLINK_PLUGINS_DIR, default ./plugins). S3 settings come from "
                    + "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_ENDPOINT and S3_PATH_STYLE_ACCESS "
                    + "(true by default when S3_ENDPOINT is set), or from --store-config.")
    String uri;

    @Option(names = "--store-config", paramLabel = "FILE",
            description = "Flink file system settings, one 'key: value' or 'key=value' a line: s3.access-key, "
                    + "s3.secret-key, s3.endpoint, s3.path.style.access, ...; they win over the environment.")
    Path configFile;

    /**
     * Opens the store, which must hold at least one model version.
     *
     * @throws ParameterException if the location or the settings file is unusable
     * @throws IOException if the store cannot be read, or its scheme has no Flink file system
     * @throws IllegalStateException if the store holds no version
     */
    ModelStore open() throws IOException {
        CliLogging.configure();
        Configuration settings = flinkSettings(System.getenv());
        FileSystem.initialize(settings, PluginUtils.createPluginManagerFromRootFolder(settings));
        ModelStore store;
        try {
            store = ModelStores.open(uri);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), "--store: " + e.getMessage());
        }
        if (store.latestVersion().isEmpty() && store.listVersions().isEmpty()) {
            throw new IllegalStateException("model store " + uri
                    + " holds no model versions (nothing published there yet, or a wrong --store)");
        }
        return store;
    }

    /** The Flink settings: those of {@code environment} (see {@link #ENVIRONMENT_SETTINGS}), then the file's. */
    Configuration flinkSettings(Map<String, String> environment) {
        Map<String, String> settings = new TreeMap<>();
        ENVIRONMENT_SETTINGS.forEach((variable, key) -> {
            String value = environment.get(variable);
            if (value != null && !value.isBlank()) {
                settings.put(key, value.strip());
            }
        });
        if (settings.containsKey("s3.endpoint")) {
            settings.putIfAbsent("s3.path.style.access", "true"); // MinIO and most other S3 look-alikes need it
        }
        if (configFile != null) {
            Properties file = new Properties();
            try (Reader reader = Files.newBufferedReader(configFile, StandardCharsets.UTF_8)) {
                file.load(reader);
            } catch (IOException | IllegalArgumentException e) {
                throw new ParameterException(command.commandLine(), "--store-config: cannot read " + configFile
                        + " (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                        + ")");
            }
            file.stringPropertyNames().forEach(key -> settings.put(key, file.getProperty(key).strip()));
        }
        return Configuration.fromMap(settings);
    }
}
