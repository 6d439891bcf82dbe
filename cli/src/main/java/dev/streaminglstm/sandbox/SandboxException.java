package dev.streaminglstm.sandbox;

/** A sandbox run that could not go on: its message is one line saying which part failed and why. */
public final class SandboxException extends Exception {

    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }
}
