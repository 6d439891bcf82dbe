package dev.streaminglstm.store;

import static java.nio.charset.StandardCharsets.US_ASCII;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Where a store under test lives, a local folder or a prefix of a bucket on the test's S3 server, with direct
 * access to the files or objects there, past the store and the file system it uses: to damage them as bit rot,
 * a torn write or another writer would, and to see what the store left. Paths are relative to the store's root,
 * with '/' between names.
 */
interface StoreLocation {

    /** The store's location, as {@link ModelStores#open} takes it. */
    String uri();

    /** How the store's messages name a file or folder under its root. */
    String describe(String relative);

    /** @throws NoSuchFileException if there is no such file */
    byte[] read(String relative) throws IOException;

    void write(String relative, byte[] content) throws IOException;

    void delete(String relative) throws IOException;

    /** A folder that holds nothing (on S3, an empty object named {@code relative/}, as S3A's mkdirs makes). */
    void makeFolder(String relative) throws IOException;

    /** The names of the files and folders directly under a folder, in no order; none if it does not exist. */
    List<String> children(String relativeFolder) throws IOException;

    default ModelStore open() throws IOException {
        return ModelStores.open(uri());
    }

    default String readString(String relative) throws IOException {
        return new String(read(relative), US_ASCII);
    }

    default void writeString(String relative, String content) throws IOException {
        write(relative, content.getBytes(US_ASCII));
    }

    /** A store in a local folder, reached as {@code file://}. */
    static StoreLocation localFolder(Path root) {
        return new LocalFolder(root);
    }

    /** A store under a new prefix of the shared S3 server's bucket, reached as {@code s3://} through Flink's plugin. */
    static StoreLocation newS3Prefix() throws IOException {
        return new S3Prefix(S3Server.shared(), S3Server.SHARED_BUCKET, "stores/" + UUID.randomUUID());
    }

    record LocalFolder(Path root) implements StoreLocation {
        @Override
        public String uri() {
            return "file://" + root.toAbsolutePath();
        }

        @Override
        public String describe(String relative) {
            return "file:" + root.resolve(relative);
        }

        @Override
        public byte[] read(String relative) throws IOException {
            return Files.readAllBytes(root.resolve(relative));
        }

        @Override
        public void write(String relative, byte[] content) throws IOException {
            Files.createDirectories(root.resolve(relative).getParent());
            Files.write(root.resolve(relative), content);
        }

        @Override
        public void delete(String relative) throws IOException {
            Files.delete(root.resolve(relative));
        }

        @Override
        public void makeFolder(String relative) throws IOException {
            Files.createDirectories(root.resolve(relative));
        }

        @Override
        public List<String> children(String relativeFolder) throws IOException {
            Path folder = relativeFolder.isEmpty() ? root : root.resolve(relativeFolder);
            if (!Files.isDirectory(folder)) {
                return List.of();
            }
            try (Stream<Path> files = Files.list(folder)) {
                return files.map(p -> p.getFileName().toString()).toList();
            }
        }
    }

    record S3Prefix(S3Server server, String bucket, String prefix) implements StoreLocation {
        @Override
        public String uri() {
            return "s3://" + bucket + "/" + prefix;
        }

        @Override
        public String describe(String relative) {
            return uri() + "/" + relative;
        }

        @Override
        public byte[] read(String relative) throws IOException {
            byte[] content = server.read(bucket, key(relative));
            if (content == null) {
                throw new NoSuchFileException(describe(relative));
            }
            return content;
        }

        @Override
        public void write(String relative, byte[] content) {
            server.write(bucket, key(relative), content);
        }

        @Override
        public void delete(String relative) throws IOException {
            read(relative); // as Files.delete does, fail on what is not there
            server.delete(bucket, key(relative));
        }

        @Override
        public void makeFolder(String relative) {
            server.write(bucket, key(relative) + "/", new byte[0]);
        }

        @Override
        public List<String> children(String relativeFolder) {
            String folder = relativeFolder.isEmpty() ? prefix + "/" : key(relativeFolder) + "/";
            return server.list(bucket, folder).stream()
                    .map(key -> key.substring(folder.length()).split("/", 2)[0])
                    .filter(name -> !name.isEmpty()) // the folder's own marker
                    .distinct()
                    .toList();
        }

        private String key(String relative) {
            return prefix + "/" + Objects.requireNonNull(relative);
        }
    }
}
