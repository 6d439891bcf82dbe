package dev.streaminglstm.job.config;

import dev.streaminglstm.core.optim.LearningRateSchedule;
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

    @Option(names = "--flush-on-checkpoint", paramLabel = "true|false", arity = "1",
            description = "Train a partly filled batch before each checkpoint barrier; false keeps it in state, so "
                    + "that with --flush-ms 0 the batches depend on the input alone and a replay of the same input "
                    + "trains the same model. Default: ${DEFAULT-VALUE}.")
    private boolean flushOnCheckpoint = true;

    @Option(names = "--partial-batch-step", paramLabel = "FULL|SQRT|LINEAR",
            description = "The step of a batch of b < --batch windows (a flush, the end of input, few streams): the "
                    + "learning rate times 1 (FULL), sqrt(b / batch) (SQRT) or b / batch (LINEAR). Default: "
                    + "${DEFAULT-VALUE}.")
    private PartialBatchStep partialBatchStep = PartialBatchStep.LINEAR;

    @Option(names = "--lr-warmup-steps", paramLabel = "N",
            description = "Training steps of linear learning-rate warm-up from 0; 0: none. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = Integer.MAX_VALUE)
    private long warmupSteps = 0;

    @Option(names = "--lr-decay-steps", paramLabel = "N",
            description = "After the warm-up the learning rate falls as 1/sqrt(1 + steps/N), to at least "
                    + "--lr-floor of it; 0: no decay. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = Integer.MAX_VALUE)
    private long decaySteps = 0;

    @Option(names = "--lr-floor", paramLabel = "FACTOR",
            description = "The smallest factor the decay reaches, above 0, at most 1. Default: ${DEFAULT-VALUE}.")
    @Check.Positive(max = 1)
    private double floor = 0.1;

    @Option(names = "--parallelism", paramLabel = "N", description = "Parallelism of training. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 1024)
    private int parallelism = 1;

    @Option(names = "--publish-every-windows", paramLabel = "N",
            description = "0: a training subtask sends its delta to the merger before each checkpoint barrier, so the"
                    + " version that checkpoint writes holds every window trained before it. N: every N trained windows"
                    + " instead (a version then lacks the windows since the last delta). Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = Integer.MAX_VALUE)
    private int publishEveryWindows = 0;

    /** How far a partly filled batch steps: its gradient averages fewer windows, so it is noisier. */
    public enum PartialBatchStep {
        /** As far as a full batch. */
        FULL,
        /** sqrt(b / B) of a full batch's step: the square-root scaling rule of adaptive optimisers. */
        SQRT,
        /** b / B of a full batch's step: the linear scaling rule of SGD. */
        LINEAR;

        /** The learning rate's factor for a batch of {@code windows} of at most {@code batch}. */
        public double factor(int windows, int batch) {
            double fill = Math.min(1.0, (double) windows / batch);
            return switch (this) {
                case FULL -> 1;
                case SQRT -> Math.sqrt(fill);
                case LINEAR -> fill;
            };
        }
    }

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

    /** The learning rate's factor by training step. */
    public LearningRateSchedule schedule() {
        return new LearningRateSchedule(warmupSteps, decaySteps, floor);
    }

    public PartialBatchStep partialBatchStep() {
        return partialBatchStep;
    }

    /** Whether a partly filled batch is trained before each checkpoint barrier. */
    public boolean flushOnCheckpoint() {
        return flushOnCheckpoint;
    }

    public int parallelism() {
        return parallelism;
    }

    /** Trained windows between two parameter deltas sent to the merger; 0: one delta before each checkpoint barrier. */
    public int publishEveryWindows() {
        return publishEveryWindows;
    }
}
