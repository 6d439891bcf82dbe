package dev.streaminglstm.store;

import java.io.IOException;

/**
 * A pointer file ({@code LATEST} or {@code PINNED}) exists but does not hold a version number, for
 * example after a torn write on a store that cannot replace files atomically. The message names
 * the pointer, where it lives, and what it holds. Reading it again cannot help.
 */
public class CorruptPointerException extends IOException {

    private final String pointer;

    public CorruptPointerException(String pointer, String message) {
        super(message);
        this.pointer = pointer;
    }

    /** The pointer's name, {@code LATEST} or {@code PINNED}. */
    public String pointer() {
        return pointer;
    }
}
