package dev.streaminglstm.job.config;

import java.io.Serializable;
import picocli.CommandLine.Option;

/** How the training operator forms batches of windows and publishes its progress. */
public final class TrainingSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    @Option(names = "--window", paramLabel = "T",
            description = "Tokens per truncated-BPTT window, 1..4096. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 4096)
    private int window = 64;

    @Option(names = "--batch", paramLabel = "N", description = "Windows per training batch, 1..4096. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 4096)
    private int batch = 32;

    @Option(names = "--flush-ms", paramLabel = "MS",
            description = "A partly filled batch is trained after at most about this many ms; 0: only when full "
                    + "(or at a checkpoint or the end of input). Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = 3_600_000)
    private long flushMs = 200;

    @Option(names = "--flush-at-checkpoint", paramLabel = "true|false", arity = "1",
            description = "Train a partly filled batch before each checkpoint; false keeps it in state instead, so "
                    + "that batches depend on the input alone (with --flush-ms 0, a run is decided by its input). "
                    + "Default: ${DEFAULT-VALUE}.")
    private boolean flushAtCheckpoint = true;

    @Option(names = "--parallelism", paramLabel = "N", description = "Parallelism of training. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 1024)
    private int parallelism = 1;

    @Option(names = "--publish-every-windows", paramLabel = "N",
            description = "Trained windows between two published model versions. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = Integer.MAX_VALUE)
    private int publishEveryWindows = 64;

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static TrainingSettings parse(String... flags) {
        return Flags.group(new TrainingSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
    }

    /** Tokens per truncated-BPTT window, T (a window holds T + 1 tokens). */
    public int window() {
        return window;
    }

    /** Windows per training batch. */
    public int batch() {
        return batch;
    }

    /** A partly filled batch is trained after about this many ms; 0 for only when full. */
    public long flushMs() {
        return flushMs;
    }

    /** Whether a partly filled batch is trained before each checkpoint barrier. */
    public boolean flushAtCheckpoint() {
        return flushAtCheckpoint;
    }

    public int parallelism() {
        return parallelism;
    }

    /** Trained windows between two parameter deltas sent to the merger. */
    public int publishEveryWindows() {
        return publishEveryWindows;
    }
}
