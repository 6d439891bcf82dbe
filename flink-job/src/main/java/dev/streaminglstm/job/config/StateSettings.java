package dev.streaminglstm.job.config;

import java.io.Serializable;
import java.time.Duration;
import picocli.CommandLine.Option;

/** How the job's state is kept: checkpoints, the state backend, the key groups, idle streams' expiry. */
public final class StateSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    /**
     * Flink state backend of the job: HASHMAP keeps state on the JVM heap (fast, bounded by memory); ROCKSDB keeps
     * it in embedded RocksDB on local disk (millions of streams, incremental checkpoints).
     */
    public enum StateBackend {
        HASHMAP("hashmap"),
        ROCKSDB("rocksdb");

        private final String flinkName;

        StateBackend(String flinkName) {
            this.flinkName = flinkName;
        }

        /** The value of Flink's {@code state.backend.type} option. */
        public String flinkName() {
            return flinkName;
        }
    }

    @Option(names = "--checkpoint-interval-ms", paramLabel = "MS",
            description = "Flink checkpoint interval, 100..86400000. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 100, max = 86_400_000)
    private long checkpointIntervalMs = 10_000;

    @Option(names = "--max-parallelism", paramLabel = "N",
            description = "Key groups of the keyed operators: the highest parallelism the job can ever be rescaled "
                    + "to, 1..32768; keep it the same across savepoints (changing it makes keyed state "
                    + "unrestorable). Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 32_768)
    private int maxParallelism = 128;

    @Option(names = "--state-backend", paramLabel = "HASHMAP|ROCKSDB",
            description = "Where per-stream state lives: HASHMAP on the heap, ROCKSDB in embedded RocksDB on "
                    + "local disk (for millions of streams). Default: ${DEFAULT-VALUE}.")
    private StateBackend stateBackend = StateBackend.HASHMAP;

    @Option(names = "--stream-idle-timeout", paramLabel = "DURATION", defaultValue = "30min",
            description = "A stream's state is dropped after this long without input (500ms, 30s, 10min, "
                    + "2h, 1d), 1s..365d. Default: ${DEFAULT-VALUE}.")
    private Duration streamIdleTimeout;

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static StateSettings parse(String... flags) {
        return Flags.group(new StateSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
        streamIdleTimeout = Duration.ofMillis(streamIdleTimeout.toMillis()); // flags spell whole milliseconds
        if (streamIdleTimeout.compareTo(Duration.ofSeconds(1)) < 0
                || streamIdleTimeout.compareTo(Duration.ofDays(365)) > 0) {
            throw new ConfigException("--stream-idle-timeout: must be between 1s and 365d, was "
                    + DurationFlag.format(streamIdleTimeout));
        }
    }

    public long checkpointIntervalMs() {
        return checkpointIntervalMs;
    }

    /** Key groups of the keyed operators. */
    public int maxParallelism() {
        return maxParallelism;
    }

    public StateBackend stateBackend() {
        return stateBackend;
    }

    /** A stream's keyed state expires after this long without input. */
    public Duration streamIdleTimeout() {
        return streamIdleTimeout;
    }
}
