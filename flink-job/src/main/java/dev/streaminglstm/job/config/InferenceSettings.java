package dev.streaminglstm.job.config;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.versions.PublishedModels;
import java.io.Serializable;
import picocli.CommandLine.Option;

/** What each prediction holds, and how much of each stream inference keeps. */
public final class InferenceSettings implements Serializable, Flags.Group {
    private static final long serialVersionUID = 1L;

    @Option(names = "--inference-parallelism", paramLabel = "N",
            description = "Parallelism of inference. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 1024)
    private int parallelism = 1;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Most likely next tokens per prediction, 1..258. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = ByteVocabulary.SIZE)
    private int topK = 5;

    @Option(names = "--continuation-length", paramLabel = "BYTES",
            description = "Bytes of greedy continuation per prediction, 0..4096: each is one more step of the "
                    + "model, so 16 bytes after a 64-byte chunk add a quarter to inference's cost. "
                    + "Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = 4096)
    private int continuationLength = 16;

    @Option(names = "--context-bytes", paramLabel = "BYTES",
            description = "Recent bytes per stream kept for inference, 1..65536. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 65_536)
    private int contextBytes = 256;

    @Option(names = "--on-new-version", paramLabel = "CARRY|REBUILD",
            description = "A stream's (h, c) when a newer version is served. CARRY: it goes on with the new weights, as "
                    + "training carries (h, c) across its own updates. REBUILD: it is recomputed from the kept "
                    + "context with the new weights, which costs streams x --context-bytes steps per version. An "
                    + "older version (a pin or a rollback) always rebuilds. Default: ${DEFAULT-VALUE}.")
    private OnNewVersion onNewVersion = OnNewVersion.CARRY;

    @Option(names = "--inference-state-precision", paramLabel = "FLOAT16|FLOAT32",
            description = "How a stream's (h, c) is kept between its chunks. FLOAT16: rounded to float16 after every "
                    + "chunk, which halves inference's state per stream; predictions and the prequential bits of the "
                    + "stream's next chunk are computed from the rounded state, so they equal an offline evaluation "
                    + "from that same state. FLOAT32: kept exact. Default: ${DEFAULT-VALUE}.")
    private StatePrecision statePrecision = StatePrecision.FLOAT16;

    @Option(names = "--inference-bundle", paramLabel = "N",
            description = "Most chunks inference reads together, 1..4096: the streams of a bundle are stepped as one "
                    + "batch (one matrix product per layer and step). Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 4096)
    private int bundle = 256;

    @Option(names = "--inference-bundle-ms", paramLabel = "MS",
            description = "Longest a chunk waits for its bundle to fill, 0..1000; 0 reads every chunk as it comes. "
                    + "Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = 1000)
    private long bundleMs = 5;

    @Option(names = "--buffer-timeout-ms", paramLabel = "MS",
            description = "Longest a record waits in a network buffer on its way to inference (and training), "
                    + "0..1000; 0 sends every record at once. Flink's own default, 100, is most of a prediction's "
                    + "latency at a few hundred records a second. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = 1000)
    private long bufferTimeoutMs = 10;

    @Option(names = "--serving-poll-ms", paramLabel = "MS",
            description = "How often inference looks at the store's serving version (PINNED, else LATEST: one or "
                    + "two small reads), 10..60000; a new version is served from the first record after. "
                    + "Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 10, max = 60_000)
    private long servingPollMs = PublishedModels.SERVING_POLL_MS;

    @Option(names = "--draft-interval-ms", paramLabel = "MS",
            description = "0, or 50..60000: how often the merger writes a draft of the next version to the store, and "
                    + "training sends it its deltas, between checkpoints. This job's inference serves a draft of its "
                    + "own run when it has trained more than the version at LATEST, so predictions come from weights "
                    + "about MS old instead of a checkpoint interval old; such predictions say draft=true. LATEST still "
                    + "moves only at completed checkpoints, a pin is served as pinned, and other readers never see a "
                    + "draft. 0: versions only. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 0, max = 60_000)
    private long draftIntervalMs = 0;

    @Option(names = "--adapt-head-rate", paramLabel = "RATE",
            description = "0, or above 0 up to 1: dynamic evaluation in inference. Each stream learns its own "
                    + "correction of the softmax layer from its bytes as inference scores them (logits + dW h + db, "
                    + "one SGD step of size RATE after each chunk, on the chunk's summed -ln p(y)), reset where a "
                    + "document starts; every byte is still scored before anything learns from it. It keeps "
                    + "(--adapt-head-units + 1) x 258 floats per stream in keyed state and checkpoints (67 kB at 64 "
                    + "units, 264 kB at 256) and costs inference about 3 us a byte at 64 units (12 at 256) on one core. "
                    + "README: Dynamic evaluation in inference. 0: off. Default: ${DEFAULT-VALUE}.")
    private double adaptHeadRate = 0;

    @Option(names = "--adapt-head-units", paramLabel = "N",
            description = "How many values of the top layer's output (the first N, at most the hidden size) each "
                    + "stream's head correction reads with --adapt-head-rate, 1..4096: it keeps (N + 1) x 258 floats "
                    + "per stream and costs in proportion. Default: ${DEFAULT-VALUE}.")
    @Check.Range(min = 1, max = 4096)
    private int adaptHeadUnits = 64;

    /** What a stream's inference state does when a newer model version is served. */
    public enum OnNewVersion {
        /** Go on from (h, c) with the new weights. */
        CARRY,
        /** Recompute (h, c) from the kept context with the new weights. */
        REBUILD
    }

    /** How a stream's (h, c) is kept between its chunks. */
    public enum StatePrecision {
        /** Rounded to the nearest float16 after every chunk (saturating at ±65504): 2 bytes a value. */
        FLOAT16,
        /** Exact: 4 bytes a value. */
        FLOAT32
    }

    /** These flags alone (for tests and tools), checked; the others keep their defaults. */
    public static InferenceSettings parse(String... flags) {
        return Flags.group(new InferenceSettings(), flags);
    }

    @Override
    public void check() {
        Flags.check(this);
        if (draftIntervalMs > 0 && draftIntervalMs < MIN_DRAFT_INTERVAL_MS) {
            throw new ConfigException("--draft-interval-ms: must be 0 (no drafts) or at least " + MIN_DRAFT_INTERVAL_MS
                    + ", was " + draftIntervalMs);
        }
        if (!(adaptHeadRate >= 0 && adaptHeadRate <= 1)) {
            throw new ConfigException("--adapt-head-rate: must be 0 (off) or above 0 up to 1, was " + adaptHeadRate);
        }
    }

    /** The step size of each stream's head correction; 0 for none. */
    public double adaptHeadRate() {
        return adaptHeadRate;
    }

    /** How many values of the top layer's output a stream's head correction reads, at most the hidden size. */
    public int adaptHeadUnits() {
        return adaptHeadUnits;
    }

    /** Least time between two drafts: each is a full copy of the parameters written to the store. */
    public static final long MIN_DRAFT_INTERVAL_MS = 50;

    /** How often the merger writes a draft, in ms; 0 for never. */
    public long draftIntervalMs() {
        return draftIntervalMs;
    }

    public int parallelism() {
        return parallelism;
    }

    /** Most likely next tokens per prediction. */
    public int topK() {
        return topK;
    }

    /** Bytes of greedy continuation per prediction. */
    public int continuationLength() {
        return continuationLength;
    }

    /** Least time between two looks at the serving version, in ms. */
    public long servingPollMs() {
        return servingPollMs;
    }

    /** Most chunks inference reads together. */
    public int bundle() {
        return bundle;
    }

    /** Longest a chunk waits for its bundle to fill, in ms. */
    public long bundleMs() {
        return bundleMs;
    }

    /** Longest a record waits in a network buffer after validation, in ms. */
    public long bufferTimeoutMs() {
        return bufferTimeoutMs;
    }

    /** What a stream's state does when a newer version is served. */
    public OnNewVersion onNewVersion() {
        return onNewVersion;
    }

    /** How a stream's (h, c) is kept between its chunks. */
    public StatePrecision statePrecision() {
        return statePrecision;
    }

    /** Recent tokens per stream kept to rebuild its state after a model swap. */
    public int contextBytes() {
        return contextBytes;
    }
}
