package dev.streaminglstm.sandbox;

import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import dev.streaminglstm.sandbox.corpus.TextChunker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a {@link Sandbox} runs. Messages of invalid settings name the {@code sandbox} command's flags.
 *
 * @param corpus     the documents replayed as streams
 * @param streams    concurrent streams ({@code --streams})
 * @param chunkBytes largest chunk of text per record, in UTF-8 bytes ({@code --chunk-bytes})
 * @param rate       how fast the producer may send at most ({@code --rate}); it also never gets more than
 *                   {@link #maxChunksInFlight()} records ahead of the job's predictions
 * @param duration   how long to run ({@code --duration}); empty: until {@link Sandbox#stop()}
 * @param workDir    folder that gets one {@code run-<time>} folder per run, holding its model store, checkpoints
 *                   and log ({@code --work-dir})
 * @param jobFlags   flags of the job, as {@code streaming-lstm job} takes them, without {@code --bootstrap-servers}
 *                   and {@code --store}, which the sandbox sets to its own broker and store
 * @param refresh    how often the view is updated
 * @param passes     how many times the corpus is replayed, after which the run ends once the job has answered every
 *                   chunk and its newest model version has settled; 0: again and again until the duration or
 *                   {@link Sandbox#stop()}
 * @param endpoints  where the broker, the web UI and the metrics listen
 * @param earlyCheckpoints how long the job checkpoints back to back from its first checkpoint, taken as soon as
 *                   every task runs, so that its first versions come as soon as it can make them
 *                   ({@code --early-checkpoints}); zero: Flink's periodic checkpoints only
 * @param trainingFirst every thread of the JVM but training's at a higher nice once training runs
 *                   ({@code --training-first}, {@link TrainingFirst})
 */
public record SandboxSettings(
        Corpus corpus,
        int streams,
        int chunkBytes,
        RateLimit rate,
        Optional<Duration> duration,
        Path workDir,
        List<String> jobFlags,
        Duration refresh,
        int passes,
        SandboxEndpoints endpoints,
        Duration earlyCheckpoints,
        boolean trainingFirst) {

    /** Job flags the sandbox sets itself. */
    public static final Set<String> RESERVED_JOB_FLAGS = Set.of("--bootstrap-servers", "--store");

    /**
     * {@code --early-checkpoints} unless given, in the commands that run a sandbox: every byte scored lower in every
     * measured pair, at the same training speed (README, "Early checkpoints").
     */
    public static final String DEFAULT_EARLY_CHECKPOINTS = "5s";

    /** Most streams a sandbox replays. */
    public static final int MAX_STREAMS = 1024;

    /** The chunk size unless one is given: a window of text per record, at least the chunker's smallest. */
    public static int chunkBytesOfWindow(int window) {
        return Math.max(TextChunker.MIN_CHUNK_BYTES, window);
    }

    public SandboxSettings {
        Objects.requireNonNull(corpus, "corpus");
        Objects.requireNonNull(rate, "rate");
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(workDir, "workDir");
        Objects.requireNonNull(refresh, "refresh");
        Objects.requireNonNull(endpoints, "endpoints");
        Objects.requireNonNull(earlyCheckpoints, "earlyCheckpoints");
        if (streams < 1 || streams > MAX_STREAMS) {
            throw new IllegalArgumentException("--streams: must be between 1 and " + MAX_STREAMS + ", was " + streams);
        }
        if (chunkBytes < TextChunker.MIN_CHUNK_BYTES || chunkBytes > 65_536) {
            throw new IllegalArgumentException("--chunk-bytes: must be between " + TextChunker.MIN_CHUNK_BYTES
                    + " and 65536, was " + chunkBytes);
        }
        duration.ifPresent(d -> {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("--duration: must be above 0, was " + d);
            }
        });
        if (refresh.isNegative() || refresh.isZero()) {
            throw new IllegalArgumentException("refresh: must be above 0, was " + refresh);
        }
        if (earlyCheckpoints.isNegative()) {
            throw new IllegalArgumentException("--early-checkpoints: must be at least 0s, was " + earlyCheckpoints);
        }
        if (passes < 0) {
            throw new IllegalArgumentException("--passes: must be at least 0, was " + passes);
        }
        jobFlags = List.copyOf(jobFlags);
        for (String flag : jobFlags) {
            String name = flag.split("=", 2)[0];
            if (RESERVED_JOB_FLAGS.contains(name)) {
                throw new IllegalArgumentException(name + ": the sandbox sets it (its own broker, and its model store"
                        + " under --work-dir)");
            }
        }
    }

    /**
     * Records the producer may send ahead of the job's predictions: two per stream, at least 32. Small, so that a
     * checkpoint barrier never waits behind much input.
     */
    public int maxChunksInFlight() {
        return Math.max(32, 2 * streams);
    }
}
