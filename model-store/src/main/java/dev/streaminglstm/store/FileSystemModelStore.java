package dev.streaminglstm.store;

import static java.nio.charset.StandardCharsets.US_ASCII;

import dev.streaminglstm.schema.ModelManifest;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * A {@link ModelStore} on Flink's {@link FileSystem} ({@code file://} locally, {@code s3://} on
 * clusters). Open one with {@link ModelStores#open(String)}. Layout under the root:
 *
 * <pre>
 * versions/&lt;n&gt;/parameters.bin   opaque parameter bytes
 * versions/&lt;n&gt;/manifest.json    Avro JSON of ModelManifest (with size and SHA-256 of the bytes)
 * versions/&lt;n&gt;/_COMMITTED       empty marker, written last: the version is complete
 * versions/&lt;n&gt;/_PUBLISHED       when LATEST first pointed here (epoch ms), written after it moved
 * LATEST                        decimal version number, replaced atomically
 * PINNED                        decimal version number, optional
 * drafts/&lt;n&gt;/parameters.bin     a draft (never a version): the writer's model between versions
 * drafts/&lt;n&gt;/manifest.json
 * DRAFT                         decimal number of the newest draft; it and the one before are kept
 * </pre>
 *
 * Drafts are written without syncing: one torn by a crash fails its checksum and is not read.
 */
public final class FileSystemModelStore implements ModelStore {

    static final String VERSIONS = "versions";
    static final String PARAMETERS = "parameters.bin";
    static final String MANIFEST = "manifest.json";
    static final String COMMITTED = "_COMMITTED";
    static final String PUBLISHED = "_PUBLISHED";
    static final String LATEST = "LATEST";
    static final String PINNED = "PINNED";
    static final String DRAFTS = "drafts";
    static final String DRAFT = "DRAFT";

    /** A pointer is a decimal long; anything longer is not a pointer. */
    private static final int MAX_POINTER_BYTES = 32;
    private static final int MAX_ARRAY_BYTES = Integer.MAX_VALUE - 8;
    /** Reads of a pointer that is replaced each time it is read, before giving up. */
    private static final int POINTER_READ_ATTEMPTS = 3;

    private final FileSystem fs;
    private final Path root;
    private final StorageKind kind;

    FileSystemModelStore(FileSystem fs, Path root, StorageKind kind) {
        this.fs = fs;
        this.root = root;
        this.kind = kind;
    }

    /** The root this store lives under. */
    public Path root() {
        return root;
    }

    @Override
    public ModelManifest writeVersion(ModelManifest manifest, byte[] parameters) throws IOException {
        long version = manifest.getVersion();
        requireVersionNumber(version);
        String checksum = sha256Hex(parameters);
        OptionalLong latest;
        try {
            latest = latestVersion();
        } catch (CorruptPointerException unreadable) {
            requireNothingCommittedFrom(version, "write model version " + version, unreadable);
            latest = OptionalLong.empty();
        }
        if (latest.isPresent() && version <= latest.getAsLong()) {
            return existingImmutableVersion(version, latest.getAsLong(), checksum);
        }
        ModelManifest complete =
                ModelManifest.newBuilder(manifest)
                        .setParametersChecksum(checksum)
                        .setParametersBytes(parameters.length)
                        .build();
        deleteVersion(version); // leftovers of an earlier attempt at this not-yet-published version
        Path dir = versionDir(version);
        writeFile(new Path(dir, PARAMETERS), parameters);
        writeFile(new Path(dir, MANIFEST), ManifestJson.encode(complete));
        writeFile(new Path(dir, COMMITTED), new byte[0]);
        return complete;
    }

    private ModelManifest existingImmutableVersion(long version, long latest, String checksum)
            throws IOException {
        if (!isCommitted(version)) {
            throw new IllegalStateException(
                    String.format(
                            "cannot write model version %d: it is at or below LATEST (%d) and was never"
                                    + " committed; versions at or below LATEST cannot be created",
                            version, latest));
        }
        ModelManifest stored = readVersion(version).manifest();
        if (stored.getParametersChecksum().equals(checksum)) {
            return stored;
        }
        throw new IllegalStateException(
                String.format(
                        "cannot rewrite model version %d: it is at or below LATEST (%d) and immutable, and it"
                                + " holds different parameters (stored SHA-256 %s, new %s)",
                        version, latest, stored.getParametersChecksum(), checksum));
    }

    @Override
    public void moveLatest(long version) throws IOException {
        requireVersionNumber(version);
        OptionalLong latest;
        try {
            latest = latestVersion();
        } catch (CorruptPointerException unreadable) {
            replaceUnreadableLatest(version, unreadable);
            return;
        }
        if (latest.isPresent() && version < latest.getAsLong()) {
            throw new IllegalStateException(
                    String.format(
                            "refusing to move LATEST backwards from %d to %d: roll back by pinning version %d",
                            latest.getAsLong(), version, version));
        }
        if (latest.isPresent() && version == latest.getAsLong()) {
            markPublished(version, System.currentTimeMillis()); // a move retried after its record failed
            return;
        }
        readVersion(version); // committed and verified, or CorruptVersionException
        publish(version);
    }

    /** Moves the pointer (one atomic replace), then records that, and when, it pointed here. */
    private void publish(long version) throws IOException {
        long at = System.currentTimeMillis(); // before the move: no reader can have served it earlier
        writePointer(LATEST, version);
        markPublished(version, at);
    }

    private void markPublished(long version, long at) throws IOException {
        Path marker = new Path(versionDir(version), PUBLISHED);
        if (!fs.exists(marker)) {
            writeFile(marker, (at + "\n").getBytes(US_ASCII));
        }
    }

    /**
     * {@code LATEST} only ever points at a committed version, and retention never deletes it, so a
     * version at least as high as every committed one cannot be behind it.
     */
    private void replaceUnreadableLatest(long version, CorruptPointerException unreadable)
            throws IOException {
        requireNothingCommittedFrom(version + 1, "move LATEST to " + version, unreadable);
        readVersion(version);
        publish(version);
    }

    /**
     * With {@code LATEST} unreadable, only a version at or above {@code from} with nothing
     * committed there or beyond is known to be above it: {@code LATEST} only ever points at a
     * committed version, and retention never deletes that one.
     */
    private void requireNothingCommittedFrom(long from, String action, CorruptPointerException unreadable)
            throws IOException {
        List<Long> numbers = versionNumbers();
        for (int i = numbers.size() - 1; i >= 0 && numbers.get(i) >= from; i--) {
            if (isCommitted(numbers.get(i))) {
                throw new IllegalStateException(
                        String.format(
                                "cannot %s: %s, and version %d is committed, so LATEST might be at or beyond it",
                                action, unreadable.getMessage(), numbers.get(i)));
            }
        }
    }

    @Override
    public OptionalLong latestVersion() throws IOException {
        return readPointer(LATEST);
    }

    @Override
    public OptionalLong pinnedVersion() throws IOException {
        return readPointer(PINNED);
    }

    @Override
    public void pin(long version) throws IOException {
        requireVersionNumber(version);
        OptionalLong latest = latestVersion();
        if (latest.isEmpty() || version > latest.getAsLong()) {
            throw new IllegalStateException(
                    String.format(
                            "cannot pin model version %d: only versions at or below LATEST (%s) can be served",
                            version, latest.isPresent() ? latest.getAsLong() : "none yet"));
        }
        readVersion(version);
        writePointer(PINNED, version);
    }

    @Override
    public void unpin() throws IOException {
        fs.delete(new Path(root, PINNED), false);
    }

    @Override
    public OptionalLong servingVersion() throws IOException {
        OptionalLong pinned = pinnedVersion();
        return pinned.isPresent() ? pinned : latestVersion();
    }

    @Override
    public StoredModel readVersion(long version) throws IOException {
        requireVersionNumber(version);
        if (!isCommitted(version)) {
            throw corrupt(
                    version,
                    fs.exists(versionDir(version))
                            ? "it is not committed: no " + COMMITTED + " marker (torn or unfinished write)"
                            : "it does not exist");
        }
        ModelManifest manifest = readManifest(version);
        long expectedBytes = manifest.getParametersBytes();
        if (expectedBytes < 0 || expectedBytes > MAX_ARRAY_BYTES) {
            throw corrupt(version, MANIFEST + " gives an impossible parameter size " + expectedBytes);
        }
        byte[] parameters;
        try (FSDataInputStream in = fs.open(new Path(versionDir(version), PARAMETERS))) {
            parameters = in.readNBytes((int) expectedBytes + 1);
        } catch (FileNotFoundException e) {
            throw corrupt(version, PARAMETERS + " is missing");
        }
        if (parameters.length != expectedBytes) {
            throw corrupt(
                    version,
                    String.format(
                            "%s holds %s%d bytes but the manifest says %d",
                            PARAMETERS,
                            parameters.length > expectedBytes ? "more than " : "",
                            Math.min(parameters.length, expectedBytes),
                            expectedBytes));
        }
        String checksum = sha256Hex(parameters);
        if (!checksum.equals(manifest.getParametersChecksum())) {
            throw corrupt(
                    version,
                    String.format(
                            "%s has SHA-256 %s but the manifest says %s",
                            PARAMETERS, checksum, manifest.getParametersChecksum()));
        }
        return new StoredModel(manifest, parameters);
    }

    @Override
    public List<ModelManifest> listVersions() throws IOException {
        List<ModelManifest> manifests = new ArrayList<>();
        for (long version : versionNumbers()) {
            if (isCommitted(version)) {
                manifests.add(readManifest(version));
            }
        }
        return manifests;
    }

    @Override
    public List<Publication> publications() throws IOException {
        OptionalLong latest = latestVersion();
        List<Publication> published = new ArrayList<>();
        for (long version : versionNumbers()) {
            Path marker = new Path(versionDir(version), PUBLISHED);
            if (fs.exists(marker)) {
                published.add(new Publication(version, Optional.of(Instant.ofEpochMilli(readMillis(marker)))));
            } else if (latest.isPresent() && version == latest.getAsLong()) {
                published.add(new Publication(version, Optional.empty())); // moved, not yet recorded
            }
        }
        return published;
    }

    private long readMillis(Path marker) throws IOException {
        byte[] content;
        try (FSDataInputStream in = fs.open(marker)) {
            content = in.readNBytes(32);
        }
        String text = new String(content, US_ASCII).trim();
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new IOException(marker + " does not hold a time in epoch ms: '" + text + "'", e);
        }
    }

    @Override
    public void retain(int keepLast) throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be at least 1, got " + keepLast);
        }
        OptionalLong latest = latestVersion();
        if (latest.isEmpty()) {
            return; // nothing is published, so every version is still above LATEST
        }
        Set<Long> keep = new HashSet<>();
        pinnedVersion().ifPresent(keep::add);
        List<Long> atOrBelowLatest = new ArrayList<>();
        for (long version : versionNumbers()) {
            if (version <= latest.getAsLong()) {
                atOrBelowLatest.add(version);
            }
        }
        int committedKept = 0;
        for (int i = atOrBelowLatest.size() - 1; i >= 0 && committedKept < keepLast; i--) {
            long version = atOrBelowLatest.get(i);
            if (isCommitted(version)) {
                keep.add(version);
                committedKept++;
            }
        }
        keep.add(latest.getAsLong());
        for (long version : atOrBelowLatest) {
            if (!keep.contains(version)) {
                deleteVersion(version);
            }
        }
    }

    @Override
    public long writeDraft(ModelManifest manifest, byte[] parameters) throws IOException {
        List<Long> stored = draftDirs();
        long newest = stored.isEmpty() ? 0 : stored.get(stored.size() - 1);
        try {
            newest = Math.max(newest, draftNumber().orElse(0));
        } catch (CorruptPointerException unreadable) {
            // numbered above every draft stored; the pointer is replaced below
        }
        long number = newest + 1;
        ModelManifest complete =
                ModelManifest.newBuilder(manifest)
                        .setParametersChecksum(sha256Hex(parameters))
                        .setParametersBytes(parameters.length)
                        .build();
        Path dir = draftDir(number);
        writeFile(new Path(dir, PARAMETERS), parameters, false);
        writeFile(new Path(dir, MANIFEST), ManifestJson.encode(complete), false);
        writePointer(DRAFT, number, false);
        for (long old : stored) {
            if (old < number - 1) { // the one before stays, for a reader that has just read DRAFT
                fs.delete(draftDir(old), true);
            }
        }
        return number;
    }

    @Override
    public OptionalLong draftNumber() throws IOException {
        return readPointer(DRAFT);
    }

    @Override
    public Optional<StoredModel> readDraft(long number) throws IOException {
        Path dir = draftDir(number);
        Optional<byte[]> json = readIfStored(new Path(dir, MANIFEST), ManifestJson.MAX_BYTES + 1);
        if (json.isEmpty()) {
            return Optional.empty(); // replaced by newer drafts
        }
        ModelManifest manifest;
        try {
            manifest = ManifestJson.decode(json.get());
        } catch (IOException torn) {
            return Optional.empty();
        }
        long expectedBytes = manifest.getParametersBytes();
        if (expectedBytes < 0 || expectedBytes > MAX_ARRAY_BYTES) {
            return Optional.empty();
        }
        Optional<byte[]> parameters = readIfStored(new Path(dir, PARAMETERS), (int) expectedBytes + 1);
        if (parameters.isEmpty()
                || parameters.get().length != expectedBytes
                || !sha256Hex(parameters.get()).equals(manifest.getParametersChecksum())) {
            return Optional.empty();
        }
        return Optional.of(new StoredModel(manifest, parameters.get()));
    }

    /** Up to {@code maxBytes} of a file, empty if it does not exist. */
    private Optional<byte[]> readIfStored(Path file, int maxBytes) throws IOException {
        try (FSDataInputStream in = fs.open(file)) {
            return Optional.of(in.readNBytes(maxBytes));
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
    }

    /** Numbers of the draft directories, ascending. */
    private List<Long> draftDirs() throws IOException {
        return numberedDirs(DRAFTS);
    }

    private Path draftDir(long number) {
        return new Path(new Path(root, DRAFTS), Long.toString(number));
    }

    @Override
    public String toString() {
        return "FileSystemModelStore{" + root + "}";
    }

    private ModelManifest readManifest(long version) throws IOException {
        byte[] json;
        try (FSDataInputStream in = fs.open(new Path(versionDir(version), MANIFEST))) {
            json = in.readNBytes(ManifestJson.MAX_BYTES + 1); // one more: a longer one is refused, unread
        } catch (FileNotFoundException e) {
            throw corrupt(version, MANIFEST + " is missing");
        }
        ModelManifest manifest;
        try {
            manifest = ManifestJson.decode(json);
        } catch (IOException e) {
            throw corrupt(version, MANIFEST + " is not a valid ModelManifest: " + e.getMessage());
        }
        if (manifest.getVersion() != version) {
            throw corrupt(
                    version,
                    String.format(
                            "%s says version %d but sits in the directory of version %d",
                            MANIFEST, manifest.getVersion(), version));
        }
        return manifest;
    }

    /** Numbers of all version directories, committed or not, ascending. */
    @Override
    public List<Long> versionNumbers() throws IOException {
        return numberedDirs(VERSIONS);
    }

    /** Numbers of the directories named by a number in {@code folder}, ascending. */
    private List<Long> numberedDirs(String folder) throws IOException {
        FileStatus[] statuses;
        try {
            statuses = fs.listStatus(new Path(root, folder));
        } catch (FileNotFoundException e) {
            return List.of();
        }
        List<Long> numbers = new ArrayList<>();
        for (FileStatus status : statuses == null ? new FileStatus[0] : statuses) {
            OptionalLong number = parseVersion(status.getPath().getName());
            if (status.isDir() && number.isPresent()) {
                numbers.add(number.getAsLong());
            }
        }
        numbers.sort(null);
        return numbers;
    }

    private boolean isCommitted(long version) throws IOException {
        return fs.exists(new Path(versionDir(version), COMMITTED));
    }

    /** Removes the marker first, so an interrupted delete leaves an invisible, uncommitted dir. */
    private void deleteVersion(long version) throws IOException {
        fs.delete(new Path(versionDir(version), COMMITTED), false);
        fs.delete(versionDir(version), true);
    }

    private Path versionDir(long version) {
        return new Path(new Path(root, VERSIONS), Long.toString(version));
    }

    /**
     * Reads a pointer. One replaced while it is read is read again: S3A's change detection fails a read whose object
     * changed between its metadata request and its content request (RemoteFileChangedException), and for a pointer
     * the new content is the one wanted.
     */
    private OptionalLong readPointer(String name) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return readPointerOnce(name);
            } catch (IOException e) {
                if (attempt >= POINTER_READ_ATTEMPTS || !replacedWhileRead(e)) {
                    throw e;
                }
            }
        }
    }

    /** Known by name: the exception comes from the S3 plugin's own class loader. */
    private static boolean replacedWhileRead(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getClass().getSimpleName().equals("RemoteFileChangedException")) {
                return true;
            }
        }
        return false;
    }

    private OptionalLong readPointerOnce(String name) throws IOException {
        Path pointer = new Path(root, name);
        byte[] content;
        try (FSDataInputStream in = fs.open(pointer)) {
            content = in.readNBytes(MAX_POINTER_BYTES + 1);
        } catch (FileNotFoundException e) {
            return OptionalLong.empty();
        }
        String text = new String(content, US_ASCII).strip();
        OptionalLong version = parseVersion(text);
        if (content.length <= MAX_POINTER_BYTES && version.isPresent()) {
            return version;
        }
        String shown = text.length() > MAX_POINTER_BYTES ? text.substring(0, MAX_POINTER_BYTES) : text;
        throw new CorruptPointerException(
                name,
                String.format("%s pointer %s does not hold a version number: '%s'", name, pointer, shown));
    }

    private static OptionalLong parseVersion(String text) {
        if (!text.matches("\\d+")) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException tooLarge) {
            return OptionalLong.empty();
        }
    }

    private void writePointer(String name, long version) throws IOException {
        writePointer(name, version, true);
    }

    private void writePointer(String name, long version, boolean durable) throws IOException {
        byte[] content = (version + "\n").getBytes(US_ASCII);
        Path pointer = new Path(root, name);
        if (kind == StorageKind.OBJECT_STORE) {
            writeFile(pointer, content, durable);
            return;
        }
        Path temporary = new Path(root, name + "." + UUID.randomUUID() + ".tmp");
        writeFile(temporary, content, durable);
        try {
            // Flink's LocalFileSystem.rename deletes the target first; rename(2) replaces it atomically.
            Files.move(localFile(temporary), localFile(pointer), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            fs.delete(temporary, false);
            throw new IOException("cannot replace " + pointer + " atomically: " + e.getMessage(), e);
        }
    }

    private static java.nio.file.Path localFile(Path path) {
        return new File(path.toUri().getPath()).toPath();
    }

    private void writeFile(Path path, byte[] content) throws IOException {
        writeFile(path, content, true);
    }

    private void writeFile(Path path, byte[] content, boolean durable) throws IOException {
        try (FSDataOutputStream out = fs.create(path, FileSystem.WriteMode.OVERWRITE)) {
            out.write(content);
            if (durable && kind == StorageKind.LOCAL_FILE_SYSTEM) {
                out.sync(); // on disk before the marker or pointer that vouches for it
            }
        }
    }

    private CorruptVersionException corrupt(long version, String problem) {
        return new CorruptVersionException(version, versionDir(version).toString(), problem);
    }

    private static void requireVersionNumber(long version) {
        if (version < 0) {
            throw new IllegalArgumentException("model versions are non-negative, got " + version);
        }
    }

    static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
