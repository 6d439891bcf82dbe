package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.manifest;
import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.schema.ModelManifest;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The store on a real S3 server (s3proxy, through Flink's flink-s3-fs-hadoop) that misbehaves: PUTs that fail with
 * HTTP 500, and the server stopped (connections refused) for a while. Readers keep serving the last good version,
 * nothing torn or unpublished becomes visible, writes retry or fail with an IOException, and a retry once the
 * server is well completes the publication. Also what the store sends: a version's objects with the commit marker
 * last, and LATEST moved by one PUT of the whole pointer, nothing else written.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class S3StoreFaultsTest {

    private S3Server server;
    private StoreLocation.S3Prefix root;
    private ModelStore store;
    private ModelFollower reader;

    @BeforeEach
    void openStore() throws IOException {
        server = S3Server.shared();
        server.clearFaults();
        root = (StoreLocation.S3Prefix) StoreLocation.newS3Prefix();
        store = root.open();
        reader = new ModelFollower(root.open());
    }

    @AfterEach
    void healServer() throws IOException {
        server.clearFaults();
        server.restart();
    }

    @Test
    void aVersionIsCommittedByItsLastPutAndLatestMovesByOnePutOfTheWholePointer() throws IOException {
        publish(store, 1);
        int before = server.storedPuts().size();

        store.writeVersion(manifest(2), parameters(2));
        List<String> versionPuts = putsUnderStoreSince(before);
        int afterVersion = server.storedPuts().size();
        store.moveLatest(2);
        List<String> latestPuts = putsUnderStoreSince(afterVersion);

        assertThat(versionPuts).as("objects PUT by writeVersion, in order").containsExactly(
                "versions/2/parameters.bin", "versions/2/manifest.json", "versions/2/_COMMITTED");
        assertThat(latestPuts).as("objects PUT by moveLatest: the pointer whole (no temporary object, no copy),"
                + " then the record that it pointed here").containsExactly("LATEST", "versions/2/_PUBLISHED");
        assertThat(root.readString("LATEST")).isEqualTo("2\n");
        assertThat(root.children("")).containsExactlyInAnyOrder("LATEST", "versions");
    }

    @Test
    void aPointerPutThatKeepsFailingLeavesLatestAndItsReadersOnTheLastGoodVersion() throws IOException {
        publish(store, 1);
        assertThat(reader.poll()).isTrue();
        store.writeVersion(manifest(2), parameters(2));
        server.failPuts(key -> key.endsWith(root.prefix() + "/LATEST"), Integer.MAX_VALUE);
        ModelStore retrying = new RetryingModelStore(store, 3, Duration.ofMillis(10));

        assertThatThrownBy(() -> retrying.moveLatest(2)).isInstanceOf(IOException.class);

        assertThat(server.failedPuts()).as("PUTs of LATEST refused: each of 3 attempts, with S3A's own retries")
                .isGreaterThanOrEqualTo(3);
        assertThat(store.latestVersion()).hasValue(1);
        assertThat(reader.poll()).isFalse();
        assertThat(reader.current().orElseThrow().parameters()).isEqualTo(parameters(1));

        server.clearFaults();
        retrying.moveLatest(2);

        assertThat(reader.poll()).isTrue();
        assertThat(reader.current().orElseThrow().parameters()).isEqualTo(parameters(2));
        assertThat(reader.failedReads()).isZero();
    }

    @Test
    void aFailedRecordOfAMovedPointerIsWrittenByTheRetryOfTheMove() throws IOException {
        publish(store, 1);
        store.writeVersion(manifest(2), parameters(2));
        server.failPuts(key -> key.endsWith(root.prefix() + "/versions/2/_PUBLISHED"), Integer.MAX_VALUE);

        assertThatThrownBy(() -> store.moveLatest(2)).isInstanceOf(IOException.class);
        assertThat(store.latestVersion()).as("the pointer moved").hasValue(2);
        assertThat(store.publications()).as("LATEST counts as published, its time not yet recorded")
                .containsExactly(store.publications().get(0), new Publication(2, Optional.empty()));

        server.clearFaults();
        store.moveLatest(2); // the retry of the move
        publish(store, 3);

        assertThat(store.publications()).extracting(Publication::version).containsExactly(1L, 2L, 3L);
        assertThat(store.publications()).allSatisfy(p -> assertThat(p.at()).isPresent());
    }

    @Test
    void aFailedPutOfTheCommitMarkerLeavesNoVisibleVersionAndARetryWritesIt() throws IOException {
        publish(store, 1);
        server.failPuts(key -> key.endsWith(root.prefix() + "/versions/2/_COMMITTED"), Integer.MAX_VALUE);

        assertThatThrownBy(() -> store.writeVersion(manifest(2), parameters(2))).isInstanceOf(IOException.class);

        assertThat(store.listVersions()).extracting(m -> m.getVersion()).containsExactly(1L);
        assertThatThrownBy(() -> store.readVersion(2)).isInstanceOf(CorruptVersionException.class)
                .hasMessageContaining("not committed");
        assertThatThrownBy(() -> store.moveLatest(2)).isInstanceOf(CorruptVersionException.class);
        assertThat(store.latestVersion()).hasValue(1);

        server.clearFaults();
        store.writeVersion(manifest(2), parameters(2));
        store.moveLatest(2);

        assertThat(reader.poll()).isTrue();
        assertThat(reader.current().orElseThrow().parameters()).isEqualTo(parameters(2));
    }

    @Test
    void putsThatFailFewerTimesThanTheRetriesAreAbsorbed() throws IOException {
        publish(store, 1);
        server.failPuts(key -> key.endsWith(root.prefix() + "/versions/2/parameters.bin"), 3);
        ModelStore retrying = new RetryingModelStore(store, 4, Duration.ofMillis(10));

        retrying.writeVersion(manifest(2), parameters(2));
        retrying.moveLatest(2);

        assertThat(server.failedPuts()).as("every injected failure happened").isEqualTo(3);
        assertThat(store.readVersion(2).parameters()).isEqualTo(parameters(2));
        assertThat(store.latestVersion()).hasValue(2);
    }

    @Test
    void whileTheServerIsStoppedReadersKeepTheirVersionAndWritesFailThenARetryPublishes() throws IOException {
        publish(store, 1);
        assertThat(reader.poll()).isTrue();
        server.stop();

        assertThat(reader.poll()).isFalse();
        assertThat(reader.current().orElseThrow().parameters()).isEqualTo(parameters(1));
        assertThat(reader.failedReads()).isEqualTo(1);
        assertThat(reader.lastFailure().orElseThrow()).startsWith("cannot read the serving version of ");
        ModelStore retrying = new RetryingModelStore(store, 2, Duration.ofMillis(10));
        assertThatThrownBy(() -> retrying.writeVersion(manifest(2), parameters(2))).isInstanceOf(IOException.class);

        server.restart();
        assertThat(store.latestVersion()).hasValue(1);
        assertThat(store.listVersions()).extracting(m -> m.getVersion()).containsExactly(1L);
        retrying.writeVersion(manifest(2), parameters(2));
        retrying.moveLatest(2);

        assertThat(reader.poll()).isTrue();
        assertThat(reader.current().orElseThrow().parameters()).isEqualTo(parameters(2));
    }

    @Test
    void aWriteStartedWhileTheServerIsStoppedCompletesWhenItIsBackWithinTheRetries() throws Exception {
        publish(store, 1);
        server.stop();
        ModelStore retrying = new RetryingModelStore(store, 8, Duration.ofMillis(200)); // 25 s of pauses in all

        CompletableFuture<ModelManifest> write = CompletableFuture.supplyAsync(() -> {
            try {
                return retrying.writeVersion(manifest(2), parameters(2));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(2000); // the outage: the write's first attempts fail
        assertThat(write).as("a write while the server is stopped").isNotDone();
        server.restart();

        assertThat(write.get(1, TimeUnit.MINUTES).getVersion()).isEqualTo(2);
        retrying.moveLatest(2);
        assertThat(reader.poll()).isTrue();
        assertThat(reader.current().orElseThrow().parameters()).isEqualTo(parameters(2));
    }

    /** Keys PUT under this test's store since the {@code from}-th PUT, relative to its root; folder markers left out. */
    private List<String> putsUnderStoreSince(int from) {
        String prefix = root.bucket() + "/" + root.prefix() + "/";
        List<String> puts = server.storedPuts();
        return puts.subList(from, puts.size()).stream()
                .filter(key -> key.startsWith(prefix) && !key.endsWith("/"))
                .map(key -> key.substring(prefix.length()))
                .toList();
    }
}
