package dev.streaminglstm.store;

import static dev.streaminglstm.store.TestVersions.manifest;
import static dev.streaminglstm.store.TestVersions.parameters;
import static dev.streaminglstm.store.TestVersions.publish;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.schema.ModelManifest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The store's promises, on local files and on a real S3 server. */
@ParameterizedClass
@EnumSource(StoreBackend.class)
class FileSystemModelStoreTest {

    @Parameter StoreBackend backend;
    @TempDir Path temporaryFolder;
    private StoreLocation root;
    private ModelStore store;

    @BeforeEach
    void openStore() throws IOException {
        root = backend.newLocation(temporaryFolder);
        store = root.open();
    }

    @Test
    void roundTripsParametersAndManifestAndSetsChecksumAndSize() throws IOException {
        byte[] abc = "abc".getBytes(US_ASCII);

        ModelManifest written = store.writeVersion(manifest(1), abc);

        // SHA-256("abc") from FIPS 180-2
        assertThat(written.getParametersChecksum())
                .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assertThat(written.getParametersBytes()).isEqualTo(3);
        StoredModel read = store.readVersion(1);
        assertThat(read.version()).isEqualTo(1);
        assertThat(read.parameters()).isEqualTo(abc);
        assertThat(read.manifest()).isEqualTo(written);
        assertThat(read.manifest().getCreatedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_001L));
        assertThat(read.manifest().getHyperParameters().getExtra()).containsEntry("beta1", "0.9");
        assertThat(root.children("versions/1"))
                .containsExactlyInAnyOrder("parameters.bin", "manifest.json", "_COMMITTED");
        assertThat(store.listVersions()).containsExactly(written);
        assertThat(store.latestVersion()).isEmpty();
    }

    @Test
    void movesLatestAtomicallyToCommittedVersions() throws IOException {
        publish(store, 1);
        publish(store, 2);

        assertThat(store.latestVersion()).hasValue(2);
        assertThat(store.servingVersion()).hasValue(2);
        assertThat(root.readString("LATEST")).isEqualTo("2\n");
        assertThat(root.children("")).as("no temporary pointer left").containsExactlyInAnyOrder(
                "LATEST", "versions");
    }

    @Test
    void thePublishedVersionsAreTheOnesLatestPointedAtNotEveryVersionWritten() throws IOException {
        publish(store, 1);
        store.writeVersion(manifest(2), parameters(2)); // written, then skipped
        publish(store, 3);
        store.writeVersion(manifest(4), parameters(4)); // above LATEST: a checkpoint that has not completed

        assertThat(store.listVersions()).hasSize(4);
        List<Publication> published = store.publications();
        assertThat(published).extracting(Publication::version).containsExactly(1L, 3L);
        assertThat(published.get(0).at()).get().isNotNull();
        assertThat(published.get(1).at().orElseThrow()).as("in the order LATEST moved")
                .isAfterOrEqualTo(published.get(0).at().orElseThrow());
        assertThat(root.children("versions/3"))
                .containsExactlyInAnyOrder("parameters.bin", "manifest.json", "_COMMITTED", "_PUBLISHED");
        store.retain(1);
        assertThat(store.publications()).as("what retention deleted is gone").extracting(Publication::version)
                .containsExactly(3L);
    }

    @Test
    void latestNeverMovesBackwards() throws IOException {
        publish(store, 1);
        publish(store, 2);
        publish(store, 3);

        assertThatThrownBy(() -> store.moveLatest(2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("refusing to move LATEST backwards from 3 to 2: roll back by pinning version 2");
        store.moveLatest(3);
        assertThat(store.latestVersion()).hasValue(3);
    }

    @Test
    void latestOnlyMovesToCommittedVerifiedVersions() throws IOException {
        publish(store, 1);
        store.writeVersion(manifest(2), parameters(2));
        root.delete("versions/2/_COMMITTED");

        assertThatThrownBy(() -> store.moveLatest(2))
                .isInstanceOf(CorruptVersionException.class)
                .hasMessageContaining("model version 2")
                .hasMessageContaining("not committed: no _COMMITTED marker");
        assertThatThrownBy(() -> store.moveLatest(7))
                .isInstanceOf(CorruptVersionException.class)
                .hasMessageContaining("model version 7")
                .hasMessageEndingWith("it does not exist");
        assertThat(store.latestVersion()).hasValue(1);
    }

    @Test
    void versionsAtOrBelowLatestAreImmutableButIdempotent() throws IOException {
        publish(store, 1);
        ModelManifest original = store.readVersion(1).manifest();
        ModelManifest later = manifest(1);
        later.setCreatedAt(Instant.ofEpochMilli(1_800_000_000_000L));

        assertThat(store.writeVersion(later, parameters(1))).isEqualTo(original);
        assertThatThrownBy(() -> store.writeVersion(manifest(1), parameters(99)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith(
                        "cannot rewrite model version 1: it is at or below LATEST (1) and immutable")
                .hasMessageContaining(original.getParametersChecksum());
        assertThat(store.readVersion(1).parameters()).isEqualTo(parameters(1));
        assertThat(store.readVersion(1).manifest()).isEqualTo(original);
    }

    @Test
    void versionsAboveLatestMayBeRewritten() throws IOException {
        publish(store, 1);
        store.writeVersion(manifest(2), parameters(2));
        ModelManifest reproduced = manifest(2);
        reproduced.setTokensTrained(4242L);

        store.writeVersion(reproduced, parameters(22));

        StoredModel read = store.readVersion(2);
        assertThat(read.parameters()).isEqualTo(parameters(22));
        assertThat(read.manifest().getTokensTrained()).isEqualTo(4242L);
        store.moveLatest(2);
        assertThatThrownBy(() -> store.writeVersion(manifest(2), parameters(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("immutable");
    }

    @Test
    void versionsBelowLatestCannotBeCreated() throws IOException {
        publish(store, 1);
        publish(store, 3);

        assertThatThrownBy(() -> store.writeVersion(manifest(2), parameters(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(
                        "cannot write model version 2: it is at or below LATEST (3) and was never committed;"
                                + " versions at or below LATEST cannot be created");
        assertThat(root.children("versions")).doesNotContain("2");
    }

    @Test
    void pinRollsBackAndUnpinReturnsToLatest() throws IOException {
        publish(store, 1);
        publish(store, 2);
        publish(store, 3);

        store.pin(2);
        assertThat(store.pinnedVersion()).hasValue(2);
        assertThat(store.servingVersion()).hasValue(2);
        assertThat(store.latestVersion()).hasValue(3);

        store.unpin();
        assertThat(store.pinnedVersion()).isEmpty();
        assertThat(store.servingVersion()).hasValue(3);
        store.unpin();
        assertThat(store.servingVersion()).hasValue(3);
    }

    @Test
    void onlyPublishedVerifiedVersionsCanBePinned() throws IOException {
        assertThatThrownBy(() -> store.pin(0))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage(
                        "cannot pin model version 0: only versions at or below LATEST (none yet) can be"
                                + " served");
        publish(store, 1);
        publish(store, 2);
        store.writeVersion(manifest(3), parameters(3));
        root.write("versions/1/parameters.bin", parameters(5));

        assertThatThrownBy(() -> store.pin(3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at or below LATEST (2)");
        assertThatThrownBy(() -> store.pin(1))
                .isInstanceOf(CorruptVersionException.class)
                .hasMessageContaining("model version 1");
        assertThat(store.pinnedVersion()).isEmpty();
    }

    @Test
    void retainKeepsNewestLatestPinnedAndUnpublished() throws IOException {
        for (long version = 1; version <= 5; version++) {
            publish(store, version);
        }
        store.writeVersion(manifest(6), parameters(6));
        root.delete("versions/3/_COMMITTED"); // a torn leftover below LATEST
        store.pin(2);

        store.retain(2);

        assertThat(versionDirs()).containsExactlyInAnyOrder("2", "4", "5", "6");
        assertThat(store.listVersions()).extracting(ModelManifest::getVersion)
                .containsExactly(2L, 4L, 5L, 6L);

        store.unpin();
        store.retain(1);
        assertThat(versionDirs()).containsExactlyInAnyOrder("5", "6");
        assertThat(store.readVersion(5).parameters()).isEqualTo(parameters(5));
    }

    @Test
    void retainDeletesNothingBeforeFirstPublicationAndRejectsZero() throws IOException {
        store.writeVersion(manifest(1), parameters(1));
        store.writeVersion(manifest(2), parameters(2));

        store.retain(1);

        assertThat(versionDirs()).containsExactlyInAnyOrder("1", "2");
        assertThatThrownBy(() -> store.retain(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keepLast must be at least 1, got 0");
    }

    @Test
    void listsCommittedVersionsInNumericOrder() throws IOException {
        for (long version : new long[] {10, 2, 9, 11}) {
            store.writeVersion(manifest(version), parameters(version));
        }
        root.delete("versions/11/_COMMITTED");
        root.makeFolder("versions/not-a-version");

        assertThat(store.listVersions()).extracting(ModelManifest::getVersion)
                .containsExactly(2L, 9L, 10L);
    }

    @Test
    void unreadablePointerIsAnErrorNamingIt() throws IOException {
        root.writeString("LATEST", "garbage");

        assertThatThrownBy(() -> store.latestVersion())
                .isInstanceOf(CorruptPointerException.class)
                .hasMessageStartingWith("LATEST pointer ")
                .hasMessageEndingWith("does not hold a version number: 'garbage'");
    }

    @Test
    void anUnreadableLatestIsReplacedOnlyByAVersionAtLeastAsHighAsEveryCommittedOne() throws IOException {
        publish(store, 1);
        publish(store, 2);
        store.writeVersion(manifest(3), parameters(3));
        store.writeVersion(manifest(4), parameters(4));
        root.delete("versions/4/_COMMITTED"); // a torn write does not count
        root.writeString("LATEST", "2\u0000garb");

        assertThatThrownBy(() -> store.moveLatest(2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot move LATEST to 2: LATEST pointer ")
                .hasMessageEndingWith("and version 3 is committed, so LATEST might be at or beyond it");
        assertThatThrownBy(() -> store.writeVersion(manifest(3), parameters(33)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("cannot write model version 3: LATEST pointer ");
        assertThat(store.readVersion(3).parameters()).isEqualTo(parameters(3));
        assertThatThrownBy(() -> store.latestVersion()).isInstanceOf(CorruptPointerException.class);

        store.moveLatest(3);

        assertThat(store.latestVersion()).hasValue(3);
        assertThat(root.readString("LATEST")).isEqualTo("3\n");
    }

    @Test
    void withAnUnreadableLatestOnlyVersionsAboveEveryCommittedOneAreWritten() throws IOException {
        publish(store, 1);
        store.writeVersion(manifest(2), parameters(2));
        root.writeString("LATEST", "garbage");

        assertThatThrownBy(() -> store.writeVersion(manifest(2), parameters(22)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageEndingWith("and version 2 is committed, so LATEST might be at or beyond it");
        store.writeVersion(manifest(3), parameters(3));

        assertThat(store.readVersion(3).parameters()).isEqualTo(parameters(3));
        assertThat(store.readVersion(2).parameters()).isEqualTo(parameters(2));
        assertThatThrownBy(() -> store.writeVersion(manifest(3), parameters(33)))
                .as("once committed, version 3 might be LATEST")
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void versionNumbersListEveryVersionCommittedOrNotAboveAndBelowLatest() throws IOException {
        publish(store, 2);
        for (long version : new long[] {10, 9, 11}) {
            store.writeVersion(manifest(version), parameters(version));
        }
        root.delete("versions/11/_COMMITTED");
        root.makeFolder("versions/not-a-version");

        assertThat(store.versionNumbers()).containsExactly(2L, 9L, 10L, 11L);
        assertThat(ModelStores.open(root.uri() + "/empty").versionNumbers()).isEmpty();
    }

    @Test
    void rejectsNegativeVersions() {
        assertThatThrownBy(() -> store.writeVersion(manifest(-1), parameters(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("model versions are non-negative, got -1");
    }

    private List<String> versionDirs() throws IOException {
        return root.children("versions");
    }

    @Test
    void draftsAreNumberedReplaceEachOtherAndAreNeverVersions() throws IOException {
        publish(store, 1);
        assertThat(store.draftNumber()).isEmpty();

        long first = store.writeDraft(manifest(2), parameters(20));
        long second = store.writeDraft(manifest(2), parameters(21));
        long third = store.writeDraft(manifest(3), parameters(30));

        assertThat(List.of(first, second, third)).containsExactly(1L, 2L, 3L);
        assertThat(store.draftNumber()).hasValue(3);
        StoredModel newest = store.readDraft(3).orElseThrow();
        assertThat(newest.version()).isEqualTo(3);
        assertThat(newest.parameters()).isEqualTo(parameters(30));
        assertThat(newest.manifest().getParametersBytes()).isEqualTo(parameters(30).length);
        assertThat(store.readDraft(2).orElseThrow().parameters()).isEqualTo(parameters(21)); // the one before stays
        assertThat(store.readDraft(1)).isEmpty(); // replaced
        assertThat(root.children("drafts")).containsExactlyInAnyOrder("2", "3");
        assertThat(store.latestVersion()).hasValue(1);
        assertThat(store.versionNumbers()).containsExactly(1L);
        assertThat(store.listVersions()).extracting(ModelManifest::getVersion).containsExactly(1L);
        assertThatThrownBy(() -> store.moveLatest(2)).isInstanceOf(CorruptVersionException.class);
    }

    @Test
    void aTornDraftIsNotReadAndTheNextOneIsNumberedAboveIt() throws IOException {
        store.writeDraft(manifest(2), parameters(20));
        root.write("drafts/1/parameters.bin", "torn".getBytes(US_ASCII));
        root.makeFolder("drafts/7");

        assertThat(store.readDraft(1)).isEmpty();
        assertThat(store.writeDraft(manifest(2), parameters(21))).isEqualTo(8);
        assertThat(store.readDraft(8).orElseThrow().parameters()).isEqualTo(parameters(21));
    }

    @Test
    void anUnreadableDraftPointerIsReplacedByTheNextDraft() throws IOException {
        store.writeDraft(manifest(2), parameters(20));
        root.writeString("DRAFT", "not a number");

        assertThatThrownBy(() -> store.draftNumber()).isInstanceOf(CorruptPointerException.class);
        assertThat(store.writeDraft(manifest(2), parameters(21))).isEqualTo(2);
        assertThat(store.draftNumber()).hasValue(2);
    }
}
