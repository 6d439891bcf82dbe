package dev.streaminglstm.store;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.local.LocalFileSystem;

/**
 * The local file system, except that the next {@link #failNext(int) n} opens or creates of a file
 * fail with an {@link IOException}, as an object store's do when it throttles or drops a
 * connection.
 */
final class FlakyFileSystem extends LocalFileSystem {

    private final AtomicInteger failuresLeft = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    /** Makes the next {@code n} opens or creates fail. */
    void failNext(int n) {
        failuresLeft.set(n);
    }

    /** How many opens or creates have failed so far. */
    int failed() {
        return failed.get();
    }

    @Override
    public FSDataOutputStream create(Path path, WriteMode mode) throws IOException {
        maybeFail("create", path);
        return super.create(path, mode);
    }

    @Override
    public FSDataInputStream open(Path path) throws IOException {
        maybeFail("open", path);
        return super.open(path);
    }

    @Override
    public FSDataInputStream open(Path path, int bufferSize) throws IOException {
        maybeFail("open", path);
        return super.open(path, bufferSize);
    }

    private void maybeFail(String operation, Path path) throws IOException {
        if (failuresLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            failed.incrementAndGet();
            throw new IOException("injected failure to " + operation + " " + path);
        }
    }
}
