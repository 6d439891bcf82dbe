package dev.streaminglstm.store;

import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Follows a store's serving version for a reader such as the inference operator: it holds the
 * last good {@link StoredModel} and, on each {@link #poll()}, switches to the serving version if
 * that changed and verifies. {@link #followingLatest} follows {@code LATEST} instead, ignoring
 * any pin, for the training job's own replicas.
 *
 * <p>A version that fails to read is never served: the current model stays, and the failure is
 * counted and kept for {@link #lastFailure()}. A corrupt version is not read again until the
 * serving version moves on (versions that can be served are immutable, so it cannot heal); other
 * I/O errors, such as an unreachable store, are retried on the next poll. Export {@link
 * #failedReads()} as a metric.
 *
 * <p>Thread-safe: one thread may poll while others read {@link #current()}.
 */
public final class ModelFollower {

    /** Which of the store's pointers a follower follows. */
    private interface Pointer {
        OptionalLong read(ModelStore store) throws IOException;
    }

    private final ModelStore store;
    private final Pointer pointer;
    private final String pointerName;
    private volatile StoredModel current;
    private volatile long failedReads;
    private volatile String lastFailure;
    private OptionalLong rejectedVersion = OptionalLong.empty();

    /** A follower of the serving version: the pinned one if set, else {@code LATEST}. */
    public ModelFollower(ModelStore store) {
        this(store, ModelStore::servingVersion, "serving version");
    }

    private ModelFollower(ModelStore store, Pointer pointer, String pointerName) {
        this.store = store;
        this.pointer = pointer;
        this.pointerName = pointerName;
    }

    /**
     * A follower of {@code LATEST}, the newest version the writer published, whether or not an
     * older version is pinned for serving. A pin rolls back what readers serve; it must not hold
     * back the writer's own replicas.
     */
    public static ModelFollower followingLatest(ModelStore store) {
        return new ModelFollower(store, ModelStore::latestVersion, "LATEST version");
    }

    /**
     * Checks the followed version and loads it if it changed.
     *
     * @return whether the followed model changed
     */
    public synchronized boolean poll() {
        OptionalLong serving;
        try {
            serving = pointer.read(store);
        } catch (IOException e) {
            recordFailure("cannot read the " + pointerName + " of " + store + ": " + e.getMessage());
            return false;
        }
        if (serving.isEmpty() || isCurrent(serving.getAsLong()) || serving.equals(rejectedVersion)) {
            return false;
        }
        try {
            current = store.readVersion(serving.getAsLong());
            rejectedVersion = OptionalLong.empty();
            return true;
        } catch (CorruptVersionException e) {
            rejectedVersion = serving;
            recordFailure(e.getMessage());
        } catch (IOException e) {
            recordFailure(
                    "cannot read model version " + serving.getAsLong() + " of " + store + ": "
                            + e.getMessage());
        }
        return false;
    }

    /** The model being served, empty until a good version has been read. */
    public Optional<StoredModel> current() {
        return Optional.ofNullable(current);
    }

    /** How many reads of a new serving version (or of the serving pointer) have failed. */
    public long failedReads() {
        return failedReads;
    }

    /** The message of the most recent failure, naming the version and the problem. */
    public Optional<String> lastFailure() {
        return Optional.ofNullable(lastFailure);
    }

    private boolean isCurrent(long version) {
        StoredModel model = current;
        return model != null && model.version() == version;
    }

    private void recordFailure(String message) {
        lastFailure = message;
        failedReads++;
    }
}
