package dev.streaminglstm.cli;

import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;
import org.apache.flink.core.plugin.PluginDescriptor;
import org.apache.flink.core.plugin.PluginManager;
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
 *
 * <p>A command line must not hang on a store it cannot reach: unless the settings name them, S3 requests get the
 * bounded retries and timeouts of {@link #S3_CLIENT_DEFAULTS} instead of the plugins' own defaults, with which
 * an unreachable endpoint is retried for many minutes.
 */
public final class StoreOptions {

    /**
     * Environment variables read into Flink settings, each with the setting it becomes (also what a deployment of the
     * command line must set, see docker-compose.yml's cli service). With {@code S3_ENDPOINT} and without
     * {@code S3_PATH_STYLE_ACCESS}, path-style access is on.
     */
    public static final Map<String, String> ENVIRONMENT_SETTINGS = Map.of(
            "AWS_ACCESS_KEY_ID", "s3.access-key",
            "AWS_SECRET_ACCESS_KEY", "s3.secret-key",
            "S3_ENDPOINT", "s3.endpoint",
            "S3_PATH_STYLE_ACCESS", "s3.path.style.access");

    /**
     * Retries and timeouts of S3 requests for the command line, as {@code s3.} settings (each S3 plugin renames
     * {@code s3.X} to its own prefix and ignores the keys it does not know). flink-s3-fs-hadoop (Hadoop 3.3 S3A,
     * becomes {@code fs.s3a.X}): one SDK retry per request instead of 20 and 2 S3A retries of a failed call
     * instead of 7, half a second apart and doubling; 5 s to connect; 30 s without data instead of 200 s.
     * flink-s3-fs-presto (becomes {@code presto.s3.X}): one SDK retry instead of 10, one client retry instead
     * of 5, back-off of at most 2 s and retries for at most 20 s instead of 10 minutes each.
     */
    static final Map<String, String> S3_CLIENT_DEFAULTS = defaults(
            "attempts.maximum", "1",
            "retry.limit", "2",
            "retry.interval", "500ms",
            "connection.establish.timeout", "5000",
            "connection.timeout", "30000",
            "max-error-retries", "1",
            "max-client-retries", "1",
            "max-backoff-time", "2s",
            "max-retry-time", "20s");

    /** Prefixes under which the S3 plugins read a setting: one of them set by the user wins over the default. */
    private static final List<String> S3_PREFIXES = List.of("s3.", "s3a.", "fs.s3a.", "presto.s3.");

    /** Flink's variable naming the plugins folder; {@code ./plugins} without it, as in Flink. */
    private static final String PLUGINS_DIR_VARIABLE = "FLINK_PLUGINS_DIR";

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
        return open(System.getenv());
    }

    /** {@link #open()} with the environment given: the settings it names and {@code FLINK_PLUGINS_DIR}. */
    ModelStore open(Map<String, String> environment) throws IOException {
        CliLogging.configure();
        Configuration settings = flinkSettings(environment);
        FileSystem.initialize(settings, plugins(Path.of(environment.getOrDefault(PLUGINS_DIR_VARIABLE, "plugins")),
                settings));
        ModelStore store;
        try {
            store = ModelStores.open(uri);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(command.commandLine(), "--store: " + e.getMessage());
        }
        boolean empty;
        try {
            empty = store.latestVersion().isEmpty() && store.listVersions().isEmpty();
        } catch (IOException e) {
            throw new IOException("cannot read model store " + uri + ": " + StreamingLstmCli.oneLine(e), e);
        }
        if (empty) {
            throw new IllegalStateException("model store " + uri
                    + " holds no model versions (nothing published there yet, or a wrong --store)");
        }
        return store;
    }

    /** The Flink plugins in {@code folder} (one subfolder each, as in Flink's plugins/), none if it does not exist. */
    private static PluginManager plugins(Path folder, Configuration settings) throws IOException {
        Collection<PluginDescriptor> found = Files.isDirectory(folder)
                ? new DirectoryBasedPluginFinder(folder).findPlugins() : List.of();
        return new DefaultPluginManager(found, CoreOptions.getPluginParentFirstLoaderPatterns(settings));
    }

    /**
     * The Flink settings: those of {@code environment} (see {@link #ENVIRONMENT_SETTINGS}), then the file's, then
     * {@link #S3_CLIENT_DEFAULTS} for what neither names.
     */
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
        S3_CLIENT_DEFAULTS.forEach((suffix, value) -> {
            if (S3_PREFIXES.stream().noneMatch(prefix -> settings.containsKey(prefix + suffix))) {
                settings.put("s3." + suffix, value);
            }
        });
        return Configuration.fromMap(settings);
    }

    private static Map<String, String> defaults(String... suffixesAndValues) {
        Map<String, String> defaults = new LinkedHashMap<>();
        for (int i = 0; i < suffixesAndValues.length; i += 2) {
            defaults.put(suffixesAndValues[i], suffixesAndValues[i + 1]);
        }
        return Collections.unmodifiableMap(defaults);
    }
}
