package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.manifest;
import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** A reader of the store (inference, the replicas) on local files and on a real S3 server. */
@ParameterizedClass
@EnumSource(StoreBackend.class)
class ModelFollowerTest {

    @Parameter StoreBackend backend;
    @TempDir Path temporaryFolder;
    private StoreLocation root;
    private ModelStore store;
    private ModelFollower follower;

    @BeforeEach
    void openStore() throws IOException {
        root = backend.newLocation(temporaryFolder);
        store = root.open();
        follower = new ModelFollower(root.open());
    }

    @Test
    void servesNothingUntilTheFirstPublication() throws IOException {
        assertThat(follower.poll()).isFalse();
        store.writeVersion(manifest(1), parameters(1));
        assertThat(follower.poll()).isFalse();

        store.moveLatest(1);

        assertThat(follower.poll()).isTrue();
        assertThat(follower.current()).hasValueSatisfying(m -> assertThat(m.version()).isEqualTo(1));
        assertThat(follower.poll()).isFalse();
        assertThat(follower.failedReads()).isZero();
        assertThat(follower.lastFailure()).isEmpty();
    }

    @Test
    void keepsTheLastGoodVersionAcrossACorruptOneAndTakesTheNextGoodOne() throws IOException {
        publish(store, 1);
        assertThat(follower.poll()).isTrue();
        publish(store, 2);
        byte[] damaged = root.read("versions/2/parameters.bin");
        damaged[0] ^= (byte) 0x80;
        root.write("versions/2/parameters.bin", damaged); // bit rot after publication

        assertThat(follower.poll()).isFalse();
        assertThat(follower.current().orElseThrow().version()).isEqualTo(1);
        assertThat(follower.current().orElseThrow().parameters()).isEqualTo(parameters(1));
        assertThat(follower.failedReads()).isEqualTo(1);
        assertThat(follower.lastFailure()).hasValueSatisfying(message -> assertThat(message)
                .startsWith("model version 2 at ")
                .contains("parameters.bin has SHA-256"));

        assertThat(follower.poll()).isFalse(); // a corrupt served version cannot heal: not re-read
        assertThat(follower.failedReads()).isEqualTo(1);

        publish(store, 3);
        assertThat(follower.poll()).isTrue();
        assertThat(follower.current().orElseThrow().version()).isEqualTo(3);
        assertThat(follower.current().orElseThrow().parameters()).isEqualTo(parameters(3));
    }

    @Test
    void followsAPinBackAndTheUnpinForward() throws IOException {
        publish(store, 1);
        publish(store, 2);
        assertThat(follower.poll()).isTrue();

        store.pin(1);
        assertThat(follower.poll()).isTrue();
        assertThat(follower.current().orElseThrow().version()).isEqualTo(1);

        store.unpin();
        assertThat(follower.poll()).isTrue();
        assertThat(follower.current().orElseThrow().version()).isEqualTo(2);
    }

    @Test
    void aFollowerOfLatestIgnoresThePinThatHoldsBackTheServingFollower() throws IOException {
        ModelFollower ofLatest = ModelFollower.followingLatest(root.open());
        publish(store, 1);
        publish(store, 2);
        store.pin(1);

        assertThat(follower.poll()).isTrue();
        assertThat(ofLatest.poll()).isTrue();
        assertThat(follower.current().orElseThrow().version()).isEqualTo(1);
        assertThat(ofLatest.current().orElseThrow().version()).isEqualTo(2);

        publish(store, 3);
        assertThat(follower.poll()).isFalse();
        assertThat(ofLatest.poll()).isTrue();
        assertThat(ofLatest.current().orElseThrow().parameters()).isEqualTo(parameters(3));
        assertThat(follower.current().orElseThrow().version()).isEqualTo(1);

        root.writeString("LATEST", "x");
        assertThat(ofLatest.poll()).isFalse();
        assertThat(ofLatest.current().orElseThrow().version()).isEqualTo(3);
        assertThat(ofLatest.lastFailure().orElseThrow()).startsWith("cannot read the LATEST version of ");
    }

    @Test
    void anUnreadablePointerIsRecordedAndTheCurrentModelKept() throws IOException {
        publish(store, 1);
        follower.poll();
        root.writeString("PINNED", "x");

        assertThat(follower.poll()).isFalse();

        assertThat(follower.current().orElseThrow().version()).isEqualTo(1);
        assertThat(follower.failedReads()).isEqualTo(1);
        assertThat(follower.lastFailure().orElseThrow())
                .startsWith("cannot read the serving version of FileSystemModelStore{")
                .endsWith("does not hold a version number: 'x'");
    }

    @Test
    void aReaderPollingDuringFiftyPublicationsSeesOnlyCompleteVersionsInOrder() throws Exception {
        int versions = 50;
        AtomicBoolean writerDone = new AtomicBoolean();
        List<Long> served = new CopyOnWriteArrayList<>();
        List<String> problems = new CopyOnWriteArrayList<>();
        Thread reader =
                new Thread(
                        () -> {
                            boolean latestSeen = false;
                            while (true) {
                                boolean lastRound = writerDone.get();
                                try {
                                    latestSeen |= checkLatestNeverVanishes(latestSeen, problems);
                                } catch (IOException e) {
                                    problems.add("LATEST unreadable: " + e.getMessage());
                                }
                                if (follower.poll()) {
                                    StoredModel model = follower.current().orElseThrow();
                                    served.add(model.version());
                                    if (!Arrays.equals(model.parameters(), parameters(model.version(), 64 * 1024))
                                            || model.manifest().getVersion() != model.version()) {
                                        problems.add("version " + model.version() + " served with wrong content");
                                    }
                                }
                                if (lastRound) {
                                    return;
                                }
                            }
                        },
                        "model-reader");
        reader.start();
        for (long version = 1; version <= versions; version++) {
            store.writeVersion(manifest(version), parameters(version, 64 * 1024));
            store.moveLatest(version);
            if (version == 1 || version == versions / 2) {
                awaitServed(served, version); // the reader reads while the writer still writes
            }
        }
        writerDone.set(true);
        reader.join();

        assertThat(problems).isEmpty();
        assertThat(follower.failedReads()).isZero();
        assertThat(served).isSorted().doesNotHaveDuplicates().endsWith(50L);
        assertThat(served).as("versions served while the writer went on").contains(1L).hasSizeGreaterThan(2);
    }

    /** Waits until the reader has served {@code version} or a newer one. */
    private static void awaitServed(List<Long> served, long version) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (served.isEmpty() || served.get(served.size() - 1) < version) {
            assertThat(System.nanoTime()).as("the reader serves version %d in time", version).isLessThan(deadline);
            Thread.sleep(1);
        }
    }

    /** Returns whether LATEST exists; records a problem if it vanished after being seen. */
    private boolean checkLatestNeverVanishes(boolean seenBefore, List<String> problems)
            throws IOException {
        boolean present = store.latestVersion().isPresent();
        if (seenBefore && !present) {
            problems.add("LATEST was missing while being replaced");
        }
        return present;
    }
}
