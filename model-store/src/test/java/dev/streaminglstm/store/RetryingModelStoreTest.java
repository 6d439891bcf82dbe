package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.manifest;
import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retries over a real file store whose file system fails a given number of times. */
class RetryingModelStoreTest {

    @TempDir Path root;
    private FlakyFileSystem fs;
    private ModelStore flaky;

    @BeforeEach
    void openStore() {
        fs = new FlakyFileSystem();
        flaky = new FileSystemModelStore(fs, new org.apache.flink.core.fs.Path(root.toUri()), StorageKind.LOCAL_FILE_SYSTEM);
    }

    @Test
    void writesAndPublishesThroughFailuresFewerThanTheAttempts() throws IOException {
        ModelStore store = new RetryingModelStore(flaky, 4, Duration.ofMillis(1));

        fs.failNext(3);
        store.writeVersion(manifest(1), parameters(1));
        fs.failNext(3);
        store.moveLatest(1);
        fs.failNext(3);
        StoredModel read = store.readVersion(1);

        assertThat(fs.failed()).as("every injected failure happened").isEqualTo(9);
        assertThat(read.parameters()).isEqualTo(parameters(1));
        assertThat(ModelStores.open(root.toString()).latestVersion()).hasValue(1);
    }

    @Test
    void givesUpAfterTheLastAttemptLeavingNothingVisible() throws IOException {
        ModelStore store = new RetryingModelStore(flaky, 3, Duration.ofMillis(1));
        publish(flaky, 1);

        fs.failNext(100);
        assertThatThrownBy(() -> store.writeVersion(manifest(2), parameters(2)))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("injected failure to ");
        assertThatThrownBy(() -> store.moveLatest(2)).isInstanceOf(IOException.class);
        fs.failNext(0);

        assertThat(fs.failed()).as("three attempts each").isEqualTo(6);
        assertThat(store.latestVersion()).hasValue(1);
        assertThat(store.listVersions()).extracting(m -> m.getVersion()).containsExactly(1L);
        store.writeVersion(manifest(2), parameters(2));
        store.moveLatest(2);
        assertThat(store.readVersion(2).parameters()).isEqualTo(parameters(2));
    }

    @Test
    void whatCannotHealIsPassedOnAtTheFirstFailure() throws IOException {
        AtomicInteger calls = new AtomicInteger();
        ModelStore real = ModelStores.open(root.toString());
        ModelStore counted = (ModelStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ModelStore.class}, (proxy, method, args) -> {
                    calls.incrementAndGet();
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ModelStore store = new RetryingModelStore(counted, 5, Duration.ofMillis(1));
        publish(real, 1);

        calls.set(0);
        assertThatThrownBy(() -> store.readVersion(7)).isInstanceOf(CorruptVersionException.class);
        assertThatThrownBy(() -> store.writeVersion(manifest(1), parameters(99)))
                .isInstanceOf(IllegalStateException.class);
        Files.writeString(root.resolve("LATEST"), "garbage");
        assertThatThrownBy(store::latestVersion).isInstanceOf(CorruptPointerException.class);

        assertThat(calls).as("one call each").hasValue(3);
    }

    @Test
    void rejectsFewerThanOneAttempt() {
        assertThatThrownBy(() -> new RetryingModelStore(flaky, 0, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("attempts must be at least 1, got 0");
    }
}
