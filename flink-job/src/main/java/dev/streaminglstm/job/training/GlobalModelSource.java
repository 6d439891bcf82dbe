package dev.streaminglstm.job.training;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.store.ModelFollower;
import dev.streaminglstm.store.ModelStores;
import dev.streaminglstm.store.StoredModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Newer global model versions for a training replica, read from the store at most once a second.
 * It follows {@code LATEST}, what the merger published, not the serving version: pinning an older
 * version rolls back inference but must not hold back the replicas' sync with the merger. Only
 * versions that verify are returned (the follower never serves a torn one).
 */
final class GlobalModelSource {
    private static final long POLL_INTERVAL_MS = 1000;
    private final ModelFollower follower;
    private final ModelConfig config;
    private long lastPoll;

    /** A verified global version. */
    record Version(long version, ParameterSet parameters) {}

    GlobalModelSource(String storeUri, ModelConfig config) {
        try {
            this.follower = ModelFollower.followingLatest(ModelStores.open(storeUri));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the model store " + storeUri, e);
        }
        this.config = config;
    }

    /** The {@code LATEST} version if it is newer than {@code version}, else null. */
    Version newerThan(long version) {
        long now = System.currentTimeMillis();
        if (now - lastPoll < POLL_INTERVAL_MS) {
            return null;
        }
        lastPoll = now;
        follower.poll();
        Optional<StoredModel> current = follower.current();
        if (current.isEmpty() || current.get().version() <= version) {
            return null;
        }
        try {
            ParameterSet p = TrainingSetup.floatParameters(current.get().parameters(), config);
            return new Version(current.get().version(), p);
        } catch (IOException e) {
            return null; // verified by checksum, so only a shape change gets here: keep training the replica
        }
    }
}
