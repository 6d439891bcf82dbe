package dev.streaminglstm.core.format;

import java.io.IOException;

/**
 * A parameter file or serialised optimiser state that cannot be read: not one of ours, a format
 * version this build does not read, truncated, corrupt, or holding another model than expected.
 * The message says which, with the numbers involved.
 */
public class ModelFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
