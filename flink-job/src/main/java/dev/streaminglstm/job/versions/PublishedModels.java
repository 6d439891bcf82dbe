package dev.streaminglstm.job.versions;

import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.job.config.StoreSettings;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.CorruptPointerException;
import dev.streaminglstm.store.CorruptVersionException;
import dev.streaminglstm.store.ModelFollower;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How published model versions come back into the job. Flink 2 has no cyclic dataflow, so the model store is the
 * channel from the merger back to the training replicas and to inference; every read of it goes through here:
 * <ul>
 *   <li>{@link #start}: where training and the merger begin without a checkpoint;</li>
 *   <li>{@link #followLatest}: replicas of parallel training rebase on {@code LATEST} (never on a pin);</li>
 *   <li>{@link #atCheckpoint}: the global model as it stood at a restored checkpoint, for a rescale;</li>
 *   <li>{@link #followServing}: inference serves the pinned version, else {@code LATEST}.</li>
 * </ul>
 * Only versions that verify are ever returned, and only models of this job's shape.
 */
public final class PublishedModels implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(PublishedModels.class);

    /**
     * Least time between two looks at the serving version, for inference, by default ({@code --serving-poll-ms}).
     * A look reads the pointers, one or two files of a few bytes; the version behind a new one is read and decoded
     * only then. A new version reaches predictions about half of this after its checkpoint completed, on average.
     */
    public static final long SERVING_POLL_MS = 100;
    /** Least time between two looks at {@code LATEST}, for the replicas of parallel training. */
    public static final long LATEST_POLL_MS = 1000;

    private final StoreSettings store;
    private final ModelConfig model;
    private final Kernel kernel;
    private final long seed;

    /**
     * @param model the shape every version read must have
     * @param kernel what runs the versions read
     * @param seed seed of the initial parameters, where nothing was published yet
     */
    public PublishedModels(StoreSettings store, ModelConfig model, Kernel kernel, long seed) {
        this.store = store;
        this.model = model;
        this.kernel = kernel;
        this.seed = seed;
    }

    public ModelConfig model() {
        return model;
    }

    /** What runs the model, in training and inference. */
    public Kernel kernel() {
        return kernel;
    }

    public StoreSettings store() {
        return store;
    }

    /** Opens the store. */
    public ModelStore open() throws IOException {
        return ModelStores.open(store.uri());
    }

    /**
     * Where a job that starts without a checkpoint begins: the store's newest good version, so that a job submitted
     * again against the same store continues its model, its counters and its lineage, or the seeded initial
     * parameters (version 0, counters 0) when nothing was published.
     *
     * @param version the version the parameters are, 0 for the initial ones
     * @param tokensTrained tokens trained into that version since the first one
     * @param windowsTrained windows trained into that version since the first one
     * @param skippedSteps optimiser steps skipped on the way to that version
     * @param trainedLoss the training loss of the tokens trained into it (none where its manifest does not say)
     */
    public record Start(long version, ParameterSet parameters, long tokensTrained, long windowsTrained,
            long skippedSteps, TrainedLoss trainedLoss) {}

    /**
     * Reads the version {@code LATEST} points at. If that version does not verify, or {@code LATEST} itself is
     * unreadable, the newest committed version below it (below every version, for an unreadable pointer) that
     * verifies is taken instead, and the versions skipped are logged.
     *
     * @throws IllegalStateException if the version taken is a model of another shape, or something was published
     *     but no version verifies
     */
    public Start start() throws IOException {
        ModelStore opened = open();
        List<Long> candidates = new ArrayList<>(opened.versionNumbers());
        Collections.reverse(candidates);
        List<String> skipped = new ArrayList<>();
        try {
            OptionalLong latest = opened.latestVersion();
            if (latest.isEmpty()) {
                return new Start(0, ParameterSet.initialize(model, DataType.FLOAT, seed), 0, 0, 0,
                        TrainedLoss.NONE);
            }
            candidates.removeIf(v -> v > latest.getAsLong());
            if (candidates.isEmpty() || candidates.get(0) != latest.getAsLong()) {
                skipped.add("version " + latest.getAsLong() + " (LATEST) does not exist");
            }
        } catch (CorruptPointerException e) {
            skipped.add(e.getMessage());
        }
        for (long v : candidates) {
            StoredModel stored;
            try {
                stored = opened.readVersion(v);
            } catch (CorruptVersionException e) {
                skipped.add(e.getMessage());
                continue;
            }
            ParameterSet p;
            try {
                p = decode(stored).parameters();
            } catch (ModelFormatException e) {
                throw new IllegalStateException("the model store " + store.uri() + " holds version " + v
                        + " of another model (" + e.getMessage() + "): give this job another --store, or the same"
                        + " model flags");
            }
            if (!skipped.isEmpty()) {
                LOG.warn("model store {}: continuing from version {}, the newest that verifies; skipped: {}",
                        store.uri(), v, String.join("; ", skipped));
            }
            return start(stored.manifest(), p);
        }
        throw new IllegalStateException("the model store " + store.uri() + " has published models but holds no"
                + " version that verifies (" + String.join("; ", skipped) + "): repair it, or give this job another"
                + " --store");
    }

    /**
     * The global model as the merger held it at a restored checkpoint: the newest store version at or above
     * {@code minVersion} written at or before that checkpoint; empty if there is none or it cannot be read.
     */
    public Optional<Start> atCheckpoint(long checkpointId, long minVersion) {
        try {
            ModelStore opened = open();
            List<ModelManifest> versions = opened.listVersions();
            for (int i = versions.size() - 1; i >= 0; i--) {
                ModelManifest m = versions.get(i);
                if (m.getVersion() < minVersion) {
                    return Optional.empty();
                }
                if (m.getCheckpointId() != null && m.getCheckpointId() <= checkpointId) {
                    StoredModel stored = opened.readVersion(m.getVersion());
                    return Optional.of(start(m, decode(stored).parameters()));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read the global model of checkpoint {} from {}", checkpointId, store.uri(), e);
        }
        return Optional.empty();
    }

    /** A follower of {@code LATEST}, what the merger published (a pin rolls back readers, not the writer). */
    public Follower followLatest() {
        return new Follower(ModelFollower.followingLatest(openUnchecked()), LATEST_POLL_MS, null);
    }

    /** A follower of the serving version: the pinned one, else {@code LATEST}, at the default interval. */
    public Follower followServing() {
        return followServing(SERVING_POLL_MS);
    }

    /**
     * A follower of the serving version: the pinned one, else {@code LATEST}, looked at most every {@code pollMs}.
     * {@code LATEST} moves only after the checkpoint that wrote its version completed, so what this serves never
     * goes back on a restore, however often it looks.
     */
    public Follower followServing(long pollMs) {
        return new Follower(new ModelFollower(openUnchecked()), pollMs, null);
    }

    /**
     * A follower of the serving version that also serves the drafts of {@code run} ({@link #run}) written after it
     * started, whenever nothing is pinned and the newest has trained more than the version at {@code LATEST}. A
     * draft holds weights no checkpoint has completed yet; it serves this run's own inference, whose predictions
     * are committed with a later checkpoint of the same run, and only once that inference has taken the
     * checkpoint the draft came after ({@link #DRAFT_AFTER_CHECKPOINT}; {@link Follower#checkpointTaken}).
     *
     * @param lastCheckpoint the last checkpoint the inference took or was restored from, 0 for none
     */
    public Follower followServingAndDrafts(long pollMs, String run, long lastCheckpoint) {
        ModelStore opened = openUnchecked();
        return new Follower(new ModelFollower(opened), pollMs, new Drafts(opened, run, lastCheckpoint));
    }

    /**
     * The label of a draft that names the run that wrote it ({@link #run}): a failover or a new job is another run,
     * so a draft that a restore took back is never served.
     */
    public static final String DRAFT_RUN = "draftRun";

    /**
     * The label of a draft that gives the last checkpoint the merger took before it: the draft's weights belong to
     * the next one. Inference serves a draft only once it has taken that checkpoint too, so that every prediction a
     * draft makes is committed with a checkpoint that holds the draft's weights (the merger may be a checkpoint
     * ahead of inference, or behind).
     */
    public static final String DRAFT_AFTER_CHECKPOINT = "draftAfterCheckpoint";

    /** The run an operator belongs to: its job and the attempt number, which every failover of the job raises. */
    public static String run(RuntimeContext context) {
        return context.getJobInfo().getJobId() + "/" + context.getTaskInfo().getAttemptNumber();
    }

    /** Decodes a verified stored version, which must be a model of this job's shape, to run on the job's kernel. */
    public ServableModel decode(StoredModel stored) throws IOException {
        return ServableModel.decode(stored.version(), stored.parameters(), model, kernel);
    }

    private static Start start(ModelManifest m, ParameterSet parameters) {
        return new Start(m.getVersion(), parameters, m.getTokensTrained(), m.getWindowsTrained(), m.getSkippedSteps(),
                Manifests.trainedLoss(m));
    }

    private ModelStore openUnchecked() {
        try {
            return open();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the model store " + store.uri(), e);
        }
    }

    /**
     * Follows one of the store's pointers, looking at it at most once per poll interval, and, for inference with
     * drafts on, the drafts of its own run. Not thread-safe.
     */
    public final class Follower {
        private final ModelFollower follower;
        private final long pollMs;
        /** Drafts to serve; null for versions only. */
        private final Drafts drafts;
        private long nextPoll = Long.MIN_VALUE;
        /** What is served: a version's number, or a draft's (as -1 - number); none before the first. */
        private OptionalLong served = OptionalLong.empty();
        /** The last choice that could not be decoded, not tried again. */
        private OptionalLong rejected = OptionalLong.empty();

        private Follower(ModelFollower follower, long pollMs, Drafts drafts) {
            this.follower = follower;
            this.pollMs = pollMs;
            this.drafts = drafts;
        }

        /**
         * The model to serve from now on if it changed since the last call and can be served; null otherwise, or
         * when less than the poll interval passed since the last look. That is the followed version or, with drafts
         * and nothing pinned, this run's newest draft when it has trained more tokens than that version. A model
         * of another shape, or one this build cannot decode, is logged and never served.
         *
         * @param nowMs the caller's clock, in ms
         */
        public Served poll(long nowMs) {
            if (nowMs < nextPoll) {
                return null;
            }
            nextPoll = nowMs + pollMs;
            follower.poll();
            StoredModel version = follower.current().orElse(null);
            Drafts.Draft draft = null;
            if (drafts != null && !drafts.pinned()) { // a pin is served as pinned, drafts or not
                version = drafts.notBehindRestore(version);
                draft = drafts.newestAbove(version);
            }
            boolean useDraft = draft != null
                    && (version == null || draft.model().manifest().getTokensTrained()
                            > version.manifest().getTokensTrained());
            if (!useDraft && version == null) {
                return null;
            }
            OptionalLong choice = OptionalLong.of(useDraft ? -1 - draft.number() : version.version());
            if (choice.equals(served) || choice.equals(rejected)) {
                return null;
            }
            StoredModel chosen = useDraft ? draft.model() : version;
            try {
                Served next = new Served(decode(chosen), useDraft);
                served = choice;
                return next;
            } catch (IOException | RuntimeException e) {
                // verified by checksum, so a model this build cannot read, or one of another shape: keep the old one
                LOG.warn("not using model {}{} of {}: {}", useDraft ? "draft of version " : "version ",
                        chosen.version(), store.uri(), e.getMessage());
                rejected = choice;
                return null;
            }
        }

        /** The follower's inference took checkpoint {@code id}: drafts that came after it may be served now. */
        public void checkpointTaken(long id) {
            if (drafts != null) {
                drafts.lastCheckpoint = Math.max(drafts.lastCheckpoint, id);
            }
        }

        /** Reads of a new version (or of a pointer) that failed. */
        public long failedReads() {
            return follower.failedReads() + (drafts == null ? 0 : drafts.failedReads);
        }
    }

    /**
     * A model for inference to serve from now on.
     *
     * @param draft whether it is a draft of {@code model.version()}, not the stored version
     */
    public record Served(ServableModel model, boolean draft) {
        public long version() {
            return model.version();
        }
    }

    /** The drafts of one run, as its inference follows them. */
    private final class Drafts {
        /** A draft read, with its number and the checkpoint it came after. */
        record Draft(long number, StoredModel model, long afterCheckpoint) {}

        private final ModelStore store;
        private final String run;
        /** Drafts up to this number were in the store before the run's inference started. */
        private final long writtenBefore;
        private long lastNumber;
        /** The last checkpoint the inference took. */
        private long lastCheckpoint;
        /** The newest draft read, until it may be served. */
        private Draft pending;
        /** The newest draft that may be served. */
        private Draft servable;
        /** After a restore, the version of the restored checkpoint, until LATEST reaches it; else null. */
        private StoredModel restored;
        private long failedReads;

        Drafts(ModelStore store, String run, long lastCheckpoint) {
            this.store = store;
            this.run = run;
            this.lastCheckpoint = lastCheckpoint;
            this.restored = lastCheckpoint > 0 ? versionOf(lastCheckpoint) : null;
            long before = 0;
            try {
                before = store.draftNumber().orElse(0);
            } catch (IOException e) {
                // unreadable: the run label alone tells this run's drafts apart
            }
            this.writtenBefore = before;
            this.lastNumber = before;
        }

        /** Whether a version is pinned; a pin that cannot be read counts as one, for this poll: versions only. */
        boolean pinned() {
            try {
                return store.pinnedVersion().isPresent();
            } catch (IOException e) {
                failedReads++;
                return true;
            }
        }

        /**
         * This run's newest draft that may be served, if it is a draft of a version above {@code version}. A pointer
         * that cannot be read counts as no draft, for this poll.
         */
        Draft newestAbove(StoredModel version) {
            try {
                long number = store.draftNumber().orElse(0);
                if (number > lastNumber) {
                    Optional<StoredModel> read = store.readDraft(number);
                    if (read.isPresent()) {
                        lastNumber = number;
                        Map<String, String> labels = read.get().manifest().getLabels();
                        if (run.equals(labels.get(DRAFT_RUN)) && number > writtenBefore) {
                            pending = new Draft(number, read.get(), afterCheckpoint(labels));
                        }
                    }
                }
            } catch (IOException e) {
                failedReads++;
                return null;
            }
            if (pending != null && pending.afterCheckpoint() <= lastCheckpoint) {
                servable = pending;
                pending = null;
            }
            return servable != null && (version == null || servable.model().version() > version.version())
                    ? servable : null;
        }

        /**
         * {@code latest}, or after a restore the version the restored checkpoint wrote while {@code LATEST} is still
         * below it: the restored merger moves {@code LATEST} to it soon, and a draft this inference served before the
         * failover may have been of it, so serving the version before would go back.
         */
        StoredModel notBehindRestore(StoredModel latest) {
            if (restored == null || latest != null && latest.version() >= restored.version()) {
                restored = null;
                return latest;
            }
            return restored;
        }

        /** The newest committed version above LATEST written at checkpoint {@code checkpoint} or before, or null. */
        private StoredModel versionOf(long checkpoint) {
            try {
                OptionalLong latest = store.latestVersion();
                List<Long> numbers = new ArrayList<>(store.versionNumbers());
                Collections.reverse(numbers);
                for (long v : numbers) {
                    if (latest.isPresent() && v <= latest.getAsLong()) {
                        return null;
                    }
                    try {
                        StoredModel m = store.readVersion(v);
                        Long written = m.manifest().getCheckpointId();
                        if (written != null && written <= checkpoint) {
                            return m;
                        }
                    } catch (CorruptVersionException notCommitted) {
                        // a version a failed checkpoint left unfinished: not the restored one
                    }
                }
            } catch (IOException e) {
                failedReads++; // LATEST alone, as without drafts
            }
            return null;
        }

        private static long afterCheckpoint(Map<String, String> labels) {
            try {
                return Long.parseLong(labels.getOrDefault(DRAFT_AFTER_CHECKPOINT, ""));
            } catch (NumberFormatException e) {
                return Long.MAX_VALUE; // never served: which checkpoint holds it is unknown
            }
        }
    }
}
