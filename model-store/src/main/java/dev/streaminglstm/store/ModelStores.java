package dev.streaminglstm.store;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.fs.UnsupportedFileSystemSchemeException;

/**
 * Opens {@link ModelStore}s by location: a plain local path, {@code file:///abs/path}, or an object
 * store URI such as {@code s3://bucket/prefix}.
 *
 * <p>Object-store schemes need their Flink filesystem plugin; inside a Flink cluster the plugins
 * are loaded already, a standalone program must call {@link FileSystem#initialize} with a plugin
 * manager first. Schemes whose Flink filesystem can neither rename atomically over a file nor PUT
 * a whole object at once (e.g. {@code hdfs}, {@code abfs}) are rejected.
 */
public final class ModelStores {

    /** Object-store schemes, with the Flink plugin(s) that serve them. */
    private static final Map<String, String> OBJECT_STORE_PLUGINS =
            Map.of(
                    "s3", "flink-s3-fs-presto or flink-s3-fs-hadoop",
                    "s3p", "flink-s3-fs-presto",
                    "s3a", "flink-s3-fs-hadoop",
                    "gs", "flink-gs-fs-hadoop",
                    "oss", "flink-oss-fs-hadoop");

    /** A URI scheme of two or more characters (so that {@code C:\...} is not one). */
    private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]+:");

    private ModelStores() {}

    /**
     * Opens the store rooted at {@code uriOrPath}. Nothing is created until the first write.
     *
     * @throws IllegalArgumentException if the location is malformed or its scheme is not supported
     * @throws IOException if no Flink filesystem is available for the scheme, with the plugin to add
     */
    public static ModelStore open(String uriOrPath) throws IOException {
        URI uri = toUri(uriOrPath);
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        StorageKind kind;
        if (scheme.equals("file")) {
            kind = StorageKind.LOCAL_FILE_SYSTEM;
        } else if (OBJECT_STORE_PLUGINS.containsKey(scheme)) {
            kind = StorageKind.OBJECT_STORE;
        } else {
            throw new IllegalArgumentException(
                    String.format(
                            "model store %s: scheme '%s' is not supported; use a local path, file://, s3://,"
                                    + " s3a://, s3p://, gs:// or oss:// (LATEST must be replaceable atomically)",
                            uri, scheme));
        }
        requireRoot(uri, kind);
        FileSystem fs;
        try {
            fs = FileSystem.get(uri);
        } catch (UnsupportedFileSystemSchemeException e) {
            throw new IOException(
                    String.format(
                            "no Flink filesystem for scheme '%s' (%s): put %s in Flink's plugins/ folder",
                            scheme, uri, OBJECT_STORE_PLUGINS.get(scheme)),
                    e);
        }
        return new FileSystemModelStore(fs, new Path(uri), kind);
    }

    private static URI toUri(String uriOrPath) {
        if (uriOrPath == null || uriOrPath.isBlank()) {
            throw new IllegalArgumentException("model store location is empty");
        }
        String location = uriOrPath.strip();
        if (!SCHEME.matcher(location).find()) {
            return Paths.get(location).toAbsolutePath().normalize().toUri();
        }
        try {
            return new URI(location);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(
                    "model store location '" + location + "' is not a valid URI: " + e.getMessage(), e);
        }
    }

    private static void requireRoot(URI uri, StorageKind kind) {
        if (kind == StorageKind.LOCAL_FILE_SYSTEM
                && (uri.getPath() == null || !uri.getPath().startsWith("/"))) {
            throw new IllegalArgumentException(
                    "model store location '" + uri + "' must be an absolute path, file:///like/this");
        }
        if (kind == StorageKind.LOCAL_FILE_SYSTEM
                && uri.getAuthority() != null
                && !uri.getAuthority().isEmpty()) {
            throw new IllegalArgumentException(
                    String.format(
                            "model store location '%s' names host '%s'; a local root is file:///%s%s",
                            uri, uri.getAuthority(), uri.getAuthority(), uri.getPath()));
        }
        if (kind == StorageKind.OBJECT_STORE
                && (uri.getAuthority() == null || uri.getAuthority().isEmpty())) {
            throw new IllegalArgumentException(
                    "model store location '" + uri + "' names no bucket, expected scheme://bucket/prefix");
        }
    }
}
