package dev.streaminglstm.sandbox;

/** Where a running {@link Sandbox} reports: a {@link LiveView} in the terminal, or nothing. */
public interface SandboxView {

    /** Shows the latest figures; called every refresh interval from one thread. */
    void show(SandboxStatus status);

    /** Shows a one-line message, such as what the sandbox is doing while it starts or stops. */
    void note(String message);

    /** The run is about to stop its producer and then the job, whose tasks still run now. */
    default void stopping() {}

    /** A view that shows nothing. */
    static SandboxView none() {
        return new SandboxView() {
            @Override
            public void show(SandboxStatus status) {}

            @Override
            public void note(String message) {}
        };
    }
}
