package dev.streaminglstm.store;

import java.io.IOException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Follows a store's serving version for a reader such as the inference operator: it holds the
 * last good {@link StoredModel} and, on each {@link #poll()}, switches to the serving version if
 * that changed and verifies.
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

    private final ModelStore store;
    private volatile StoredModel current;
    private volatile long failedReads;
    private volatile String lastFailure;
    private OptionalLong rejectedVersion = OptionalLong.empty();

    public ModelFollower(ModelStore store) {
        this.store = store;
    }

    /**
     * Checks the serving version and loads it if it changed.
     *
     * @return whether the served model changed
     */
    public synchronized boolean poll() {
        OptionalLong serving;
        try {
            serving = store.servingVersion();
        } catch (IOException e) {
            recordFailure("cannot read the serving version of " + store + ": " + e.getMessage());
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
