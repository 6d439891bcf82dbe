package dev.streaminglstm.job.config;

import java.io.Serializable;
import picocli.CommandLine.Option;

/** Where model versions are published, and how many are kept. */
public final class StoreSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    @Option(names = "--store", required = true, paramLabel = "URI",
            description = "Model store location, any Flink file system URI (file:///..., s3://...). Required.")
    @Check.NotBlank
    private String store;

    @Option(names = "--keep-versions", paramLabel = "N", description = "Model versions the store keeps. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 100_000)
    private int keepVersions = 20;

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static StoreSettings parse(String... flags) {
        return Flags.group(new StoreSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
    }

    /** The store's URI. */
    public String uri() {
        return store;
    }

    public int keepVersions() {
        return keepVersions;
    }
}
