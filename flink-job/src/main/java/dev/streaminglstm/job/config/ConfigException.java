package dev.streaminglstm.job.config;

/**
 * A job setting that cannot be used. The message is one line that names the flag and the problem,
 * for example {@code --window: must be between 1 and 4096, was 0}, fit to show a person as is.
 */
public final class ConfigException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
