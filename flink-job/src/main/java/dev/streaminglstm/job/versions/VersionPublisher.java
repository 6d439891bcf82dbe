package dev.streaminglstm.job.versions;

import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.job.merging.GlobalModel;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.CorruptPointerException;
import dev.streaminglstm.store.CorruptVersionException;
import dev.streaminglstm.store.ModelStore;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalLong;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the global model's versions and moves {@code LATEST}: a new immutable version at each checkpoint whose
 * model changed, and {@code LATEST} to it only once that checkpoint completed, so readers never see a version a
 * restore could take back.
 *
 * <p>Where numbering continues:
 * <ul>
 *   <li>without a checkpoint, from the version the job started from, above every version in the store;</li>
 *   <li>after a restore from the newest completed checkpoint (a failover), from the restored version, writing again
 *       the versions of checkpoints that never completed; those never were {@code LATEST}, so the store lets them be
 *       rewritten;</li>
 *   <li>after a restore behind {@code LATEST} (a rollback), above every version in the store, committed or not, so
 *       it never touches what the abandoned run wrote.</li>
 * </ul>
 * If moving {@code LATEST} fails after a checkpoint completed, the move is not lost: the version stays awaiting,
 * in the merger's state too, and the next completed checkpoint, or a restore, moves it. Not thread-safe, but for
 * the two values read as metrics.
 */
public final class VersionPublisher {
    private static final Logger LOG = LoggerFactory.getLogger(VersionPublisher.class);

    private final ModelStore store;
    private final PublishedModels models;
    private final Manifests manifests;
    private final Runnable onVersionWritten;
    /** The version the global model is: as last written, or as continued from; 0 for the initial model. */
    private long version;
    /** The version {@link #version} was continued from, 0 for none. */
    private long parentOfVersion;
    /** New versions are numbered above this and above {@link #version}. */
    private long numberedAbove;
    /** Versions written at a checkpoint, by checkpoint id, until that checkpoint completes. */
    private final TreeMap<Long, Long> awaitingCommit = new TreeMap<>();
    private volatile long committedVersion;
    private volatile double lastWriteMillis;

    /**
     * @param store the store, with retries ({@code RetryingModelStore})
     * @param onVersionWritten called after each version written
     */
    public VersionPublisher(ModelStore store, PublishedModels models, Manifests manifests, Runnable onVersionWritten) {
        this.store = store;
        this.models = models;
        this.manifests = manifests;
        this.onVersionWritten = onVersionWritten;
    }

    /** Numbers on from {@code startVersion}, the version a job without a checkpoint continued from (0: none). */
    public void startFresh(long startVersion) throws IOException {
        version = startVersion;
        parentOfVersion = 0;
        numberedAbove = highestVersionNumber();
        committedVersion = orZero(readableLatest());
    }

    /**
     * Numbers on after a restore. Everything recorded in a restored snapshot belongs to a completed checkpoint, so
     * the newest version awaiting is made {@code LATEST} now (written again first if the store's copy is missing or
     * is not {@code model}: another run rewrote it while it was above {@code LATEST}).
     */
    public void restore(long restoredVersion, long parent, NavigableMap<Long, Long> awaiting, GlobalModel model)
            throws IOException {
        version = restoredVersion;
        parentOfVersion = parent;
        if (!awaiting.isEmpty()) {
            publishRestored(awaiting.lastKey(), awaiting.lastEntry().getValue(), model);
        }
        OptionalLong latest = readableLatest();
        if (latest == null || (latest.isPresent() && latest.getAsLong() > version)) {
            numberedAbove = highestVersionNumber();
            LOG.info("restored model version {}, behind LATEST ({}): new versions are numbered above {}, the highest"
                    + " in the store", version, latest == null ? "unreadable" : latest.getAsLong(), numberedAbove);
        } else {
            numberedAbove = version;
        }
        committedVersion = orZero(latest);
    }

    /** At a checkpoint: writes the next version if the model changed since the last one, to commit with it. */
    public void publish(GlobalModel model, long checkpointId) throws IOException {
        if (!model.changed()) {
            return;
        }
        long next = nextVersion();
        write(next, version, checkpointId, model);
        parentOfVersion = version;
        version = next;
        awaitingCommit.put(checkpointId, version);
        model.written();
    }

    /**
     * Between checkpoints: writes the global model as a draft of the version the next checkpoint writes, labelled
     * with {@code run} and with {@code afterCheckpoint}, the last checkpoint the merger took (see
     * {@link PublishedModels#DRAFT_RUN}), so that only that run's inference serves it, and only once it has passed
     * that checkpoint too. A draft is never {@code LATEST}, and one with non-finite values is not written.
     *
     * @return whether a draft was written
     */
    public boolean writeDraft(GlobalModel model, String run, long afterCheckpoint) throws IOException {
        if (!model.parameters().allFinite()) {
            LOG.warn("the global model holds non-finite values; no draft written");
            return false;
        }
        ModelManifest manifest = ModelManifest.newBuilder(manifests.manifest(nextVersion(),
                        version, 0, model.tokens(), model.windows(), model.skippedSteps(), model.recentLossBpc(),
                        model.trainedLoss()))
                .setCheckpointId(null)
                .setLabels(Map.of(PublishedModels.DRAFT_RUN, run,
                        PublishedModels.DRAFT_AFTER_CHECKPOINT, Long.toString(afterCheckpoint)))
                .build();
        store.writeDraft(manifest, manifests.parameterFile(model.parameters()));
        return true;
    }

    /** The number the next version written gets. */
    private long nextVersion() {
        return Math.max(version, numberedAbove) + 1;
    }

    /** Once a checkpoint completed: {@code LATEST} moves to the newest version written at or before it. */
    public void checkpointCompleted(long checkpointId) {
        Map.Entry<Long, Long> newest = awaitingCommit.floorEntry(checkpointId);
        if (newest == null) {
            return;
        }
        try {
            commit(newest.getValue());
            awaitingCommit.headMap(checkpointId, true).clear();
        } catch (IOException | IllegalStateException e) {
            LOG.warn("checkpoint {} completed, but LATEST of {} could not be moved to its version {}; the next completed"
                    + " checkpoint or a restore will move it", checkpointId, store, newest.getValue(), e);
        }
    }

    public long version() {
        return version;
    }

    public long parentOfVersion() {
        return parentOfVersion;
    }

    /** Versions written at checkpoints that have not completed yet, by checkpoint id (a copy). */
    public NavigableMap<Long, Long> awaitingCommit() {
        return new TreeMap<>(awaitingCommit);
    }

    /** The version {@code LATEST} points at, as this publisher last saw or moved it. */
    public long committedVersion() {
        return committedVersion;
    }

    /** How long writing the last version took, in ms. */
    public double lastWriteMillis() {
        return lastWriteMillis;
    }

    private void publishRestored(long checkpointId, long v, GlobalModel model) throws IOException {
        OptionalLong latest = readableLatest();
        if (latest == null) {
            LOG.warn("LATEST of {} is unreadable: version {} of the restored checkpoint {} is not published now;"
                    + " the next completed checkpoint publishes a newer one", store, v, checkpointId);
            return;
        }
        if (latest.isPresent() && latest.getAsLong() >= v) {
            return;
        }
        if (v == version && !storeHolds(v, model.parameters())) {
            LOG.warn("version {} in {} is not the model of the restored checkpoint {}: writing it again", v, store,
                    checkpointId);
            write(v, parentOfVersion, checkpointId, model);
        }
        commit(v);
    }

    private boolean storeHolds(long v, ParameterSet parameters) throws IOException {
        try {
            float[] stored = models.decode(store.readVersion(v)).parameters().toFlatFloats();
            return Arrays.equals(stored, parameters.toFlatFloats());
        } catch (CorruptVersionException | ModelFormatException e) {
            return false;
        }
    }

    private void commit(long v) throws IOException {
        OptionalLong latest = readableLatest();
        if (latest == null || latest.isEmpty() || latest.getAsLong() < v) {
            store.moveLatest(v); // over an unreadable LATEST only if v is the newest committed version
            try {
                store.retain(models.store().keepVersions());
            } catch (IOException e) {
                LOG.warn("could not delete old versions of {}; trying again at the next publication", store, e);
            }
            committedVersion = v;
        } else {
            committedVersion = latest.getAsLong();
        }
    }

    /** Writes the global model as version {@code v}, continued from {@code parent} (0 for none). */
    private void write(long v, long parent, long checkpointId, GlobalModel model) throws IOException {
        if (!model.parameters().allFinite()) {
            throw new IllegalStateException("the global model holds non-finite values; version " + v + " not written");
        }
        long started = System.nanoTime();
        store.writeVersion(manifests.manifest(v, parent, checkpointId, model.tokens(), model.windows(),
                model.skippedSteps(), model.recentLossBpc(), model.trainedLoss()),
                manifests.parameterFile(model.parameters()));
        onVersionWritten.run();
        lastWriteMillis = (System.nanoTime() - started) / 1e6;
    }

    /** {@code LATEST}, or null if it is unreadable. */
    private OptionalLong readableLatest() throws IOException {
        try {
            return store.latestVersion();
        } catch (CorruptPointerException e) {
            LOG.warn("{}", e.getMessage());
            return null;
        }
    }

    private long highestVersionNumber() throws IOException {
        List<Long> numbers = store.versionNumbers();
        return Math.max(version, numbers.isEmpty() ? 0 : numbers.get(numbers.size() - 1));
    }

    private static long orZero(OptionalLong latest) {
        return latest != null && latest.isPresent() ? latest.getAsLong() : 0;
    }
}
