package dev.streaminglstm.store;

import java.io.IOException;

/**
 * A model version that cannot be served: missing, not committed (torn write), or failing
 * verification. The message names the version, where it lives, and what is wrong.
 */
public class CorruptVersionException extends IOException {

    private final long version;

    public CorruptVersionException(long version, String location, String problem) {
        super("model version " + version + " at " + location + " is unusable: " + problem);
        this.version = version;
    }

    /** The version that is unusable. */
    public long version() {
        return version;
    }
}
