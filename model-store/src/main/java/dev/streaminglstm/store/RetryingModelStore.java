package dev.streaminglstm.store;

import dev.streaminglstm.schema.ModelManifest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ModelStore} that retries the calls of another one when they fail with an I/O error that
 * may be transient (an object store's throttling, a dropped connection), a bounded number of times
 * with doubling pauses in between. What cannot heal by retrying is passed on at once: a {@link
 * CorruptVersionException}, a {@link CorruptPointerException}, and every exception that is not an
 * {@link IOException} (a version that would break immutability, a bad argument).
 *
 * <p>Every operation of the store may be repeated: a write repeated after a failure either
 * completes the version or finds it stored already, and moving {@code LATEST} to where it points is
 * a no-op.
 */
public final class RetryingModelStore implements ModelStore {

    /** Attempts per call, the first one included. */
    public static final int DEFAULT_ATTEMPTS = 5;

    /** The pause after the first failure; each further pause is twice the one before. */
    public static final Duration DEFAULT_FIRST_PAUSE = Duration.ofMillis(100);

    private static final Logger LOG = LoggerFactory.getLogger(RetryingModelStore.class);

    private final ModelStore delegate;
    private final int attempts;
    private final long firstPauseMillis;

    /** A store calling {@code delegate} with {@link #DEFAULT_ATTEMPTS} and {@link #DEFAULT_FIRST_PAUSE}. */
    public RetryingModelStore(ModelStore delegate) {
        this(delegate, DEFAULT_ATTEMPTS, DEFAULT_FIRST_PAUSE);
    }

    /**
     * @param attempts how often a call is tried, at least 1
     * @param firstPause the pause after the first failure, doubled after each further one
     */
    public RetryingModelStore(ModelStore delegate, int attempts, Duration firstPause) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, got " + attempts);
        }
        if (firstPause.isNegative()) {
            throw new IllegalArgumentException("the first pause must not be negative, got " + firstPause);
        }
        this.delegate = delegate;
        this.attempts = attempts;
        this.firstPauseMillis = firstPause.toMillis();
    }

    /** A store operation that may fail with an {@link IOException}. */
    @FunctionalInterface
    private interface Call<T> {
        T run() throws IOException;
    }

    /** A store operation without a result that may fail with an {@link IOException}. */
    @FunctionalInterface
    private interface Action {
        void run() throws IOException;
    }

    private void retriedAction(String operation, Action action) throws IOException {
        retried(operation, () -> {
            action.run();
            return null;
        });
    }

    private <T> T retried(String operation, Call<T> call) throws IOException {
        long pause = firstPauseMillis;
        for (int attempt = 1; ; attempt++) {
            try {
                return call.run();
            } catch (CorruptVersionException | CorruptPointerException | InterruptedIOException permanent) {
                throw permanent;
            } catch (IOException e) {
                if (attempt >= attempts) {
                    throw e;
                }
                LOG.warn("{} on {} failed (attempt {} of {}), trying again in {} ms: {}",
                        operation, delegate, attempt, attempts, pause, e.toString());
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    InterruptedIOException stop = new InterruptedIOException(
                            "interrupted while waiting to try " + operation + " on " + delegate + " again");
                    stop.addSuppressed(e);
                    throw stop;
                }
                pause = Math.min(pause * 2, Long.MAX_VALUE / 2);
            }
        }
    }

    @Override
    public ModelManifest writeVersion(ModelManifest manifest, byte[] parameters) throws IOException {
        return retried("writing version " + manifest.getVersion(), () -> delegate.writeVersion(manifest, parameters));
    }

    @Override
    public void moveLatest(long version) throws IOException {
        retriedAction("moving LATEST to " + version, () -> delegate.moveLatest(version));
    }

    @Override
    public OptionalLong latestVersion() throws IOException {
        return retried("reading LATEST", delegate::latestVersion);
    }

    @Override
    public OptionalLong pinnedVersion() throws IOException {
        return retried("reading PINNED", delegate::pinnedVersion);
    }

    @Override
    public void pin(long version) throws IOException {
        retriedAction("pinning version " + version, () -> delegate.pin(version));
    }

    @Override
    public void unpin() throws IOException {
        retriedAction("unpinning", delegate::unpin);
    }

    @Override
    public OptionalLong servingVersion() throws IOException {
        return retried("reading the serving version", delegate::servingVersion);
    }

    @Override
    public StoredModel readVersion(long version) throws IOException {
        return retried("reading version " + version, () -> delegate.readVersion(version));
    }

    @Override
    public List<Long> versionNumbers() throws IOException {
        return retried("listing version numbers", delegate::versionNumbers);
    }

    @Override
    public List<Publication> publications() throws IOException {
        return retried("listing publications", delegate::publications);
    }

    @Override
    public List<ModelManifest> listVersions() throws IOException {
        return retried("listing versions", delegate::listVersions);
    }

    @Override
    public void retain(int keepLast) throws IOException {
        retriedAction("deleting old versions", () -> delegate.retain(keepLast));
    }

    @Override
    public long writeDraft(ModelManifest manifest, byte[] parameters) throws IOException {
        return retried("writing a draft", () -> delegate.writeDraft(manifest, parameters));
    }

    @Override
    public OptionalLong draftNumber() throws IOException {
        return retried("reading DRAFT", delegate::draftNumber);
    }

    @Override
    public Optional<StoredModel> readDraft(long number) throws IOException {
        return retried("reading draft " + number, () -> delegate.readDraft(number));
    }

    @Override
    public String toString() {
        return delegate.toString();
    }
}
