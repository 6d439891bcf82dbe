package dev.streaminglstm.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;
import org.apache.flink.core.plugin.PluginDescriptor;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.blobstore.domain.Blob;
import org.jclouds.blobstore.domain.StorageMetadata;
import org.jclouds.blobstore.options.ListContainerOptions;
import org.jclouds.http.HttpResponse;
import org.jclouds.http.HttpResponseException;

/**
 * A real S3 API server in this JVM: s3proxy (HTTP, AWS signatures V2 and V4 checked against one key pair) over
 * jclouds' in-memory blob store, on a free loopback port. Clients reach it as they reach any S3 endpoint; Flink's
 * {@code flink-s3-fs-hadoop} plugin does with {@link #flinkSettings()}.
 *
 * <p>Faults a test can inject: {@link #stop()} makes the server refuse every connection until {@link #restart()}
 * (the objects stay), and {@link #failPuts} makes chosen PUTs fail with HTTP 500, as an overloaded or broken store
 * does. The server also records the key of every PUT it stored ({@link #storedPuts()}), and gives the test direct
 * access to the objects it holds ({@link #read}, {@link #write}, {@link #delete}, {@link #list}), past any client.
 */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS_KEY = "streaming-lstm-test";
    public static final String SECRET_KEY = "streaming-lstm-test-secret";
    /** The bucket {@link #shared()} creates. */
    public static final String SHARED_BUCKET = "streaming-lstm";

    /** System property naming the folder with Flink's plugins (one subfolder each, as in Flink's plugins/). */
    public static final String PLUGINS_DIR_PROPERTY = "flink.test.plugins.dir";

    private static S3Server shared;
    private static boolean flinkUsesShared;

    private final BlobStoreContext context;
    private final BlobStore blobs;
    private final int port;
    private final List<PutFault> putFaults = new CopyOnWriteArrayList<>();
    private final List<String> storedPuts = new CopyOnWriteArrayList<>();
    private final AtomicInteger failedPuts = new AtomicInteger();
    private S3Proxy proxy;

    private S3Server(int port) {
        this.port = port;
        context = ContextBuilder.newBuilder("transient").credentials("identity", "credential")
                .build(BlobStoreContext.class);
        blobs = context.getBlobStore();
    }

    /** Starts a server of its own on a free port. */
    public static S3Server start() throws IOException {
        S3Server server = new S3Server(freePort());
        server.restart();
        return server;
    }

    /**
     * The server of this JVM, started on first use with the bucket {@link #SHARED_BUCKET}; Flink's file systems of
     * this JVM are set up to reach it as {@code s3://} (again, if {@link #flinkFileSystemsWithoutS3()} undid that).
     */
    public static synchronized S3Server shared() throws IOException {
        if (shared == null) {
            shared = start();
            shared.createBucket(SHARED_BUCKET);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "stop-s3-server"));
        }
        if (!flinkUsesShared) {
            initializeFlinkFileSystems(shared.flinkSettings());
            flinkUsesShared = true;
        }
        return shared;
    }

    /** Sets Flink's file systems of this JVM up without any plugin: {@code s3://} has no file system. */
    public static synchronized void flinkFileSystemsWithoutS3() {
        FileSystem.initialize(new Configuration(), null);
        flinkUsesShared = false;
    }

    /**
     * Sets Flink's file systems of this JVM up with {@code settings} and the plugins of {@value #PLUGINS_DIR_PROPERTY}
     * (where the build copies flink-s3-fs-hadoop), as a Flink process does at its start.
     */
    public static void initializeFlinkFileSystems(Map<String, String> settings) throws IOException {
        Path plugins = Path.of(System.getProperty(PLUGINS_DIR_PROPERTY, "target/test-plugins"));
        if (!Files.isDirectory(plugins.resolve("s3-fs-hadoop"))) {
            throw new IllegalStateException("no Flink S3 plugin in " + plugins.resolve("s3-fs-hadoop")
                    + ": the build copies it there in generate-test-resources");
        }
        Configuration configuration = Configuration.fromMap(settings);
        Collection<PluginDescriptor> found = new DirectoryBasedPluginFinder(plugins).findPlugins();
        FileSystem.initialize(configuration,
                new DefaultPluginManager(found, CoreOptions.getPluginParentFirstLoaderPatterns(configuration)));
    }

    /** The endpoint, {@code http://127.0.0.1:PORT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /**
     * Flink settings that reach this server through flink-s3-fs-hadoop: endpoint, path-style access, the key
     * pair, and few, short retries (one SDK retry, one S3A retry after 100 ms, 2 s to connect), so that a fault
     * reaches the caller within seconds.
     */
    public Map<String, String> flinkSettings() {
        Map<String, String> settings = new TreeMap<>();
        settings.put("s3.endpoint", endpoint());
        settings.put("s3.path.style.access", "true");
        settings.put("s3.access-key", ACCESS_KEY);
        settings.put("s3.secret-key", SECRET_KEY);
        settings.put("s3.attempts.maximum", "1");
        settings.put("s3.retry.limit", "1");
        settings.put("s3.retry.interval", "100ms");
        settings.put("s3.retry.throttle.limit", "1");
        settings.put("s3.retry.throttle.interval", "100ms");
        settings.put("s3.connection.establish.timeout", "2000");
        settings.put("s3.connection.timeout", "10000");
        return settings;
    }

    public void createBucket(String bucket) {
        blobs.createContainerInLocation(null, bucket);
    }

    /** Stops answering: every connection is refused until {@link #restart()}; the objects stay. */
    public synchronized void stop() {
        if (proxy == null) {
            return;
        }
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("cannot stop the S3 server on port " + port, e);
        }
        proxy = null;
    }

    /** Answers again, on the same port, with the objects it held. */
    public synchronized void restart() throws IOException {
        if (proxy != null) {
            return;
        }
        S3Proxy started = S3Proxy.builder()
                .blobStore(faultInjecting(blobs))
                .endpoint(URI.create(endpoint()))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        try {
            started.start();
        } catch (Exception e) {
            throw new IOException("cannot start the S3 server on port " + port, e);
        }
        proxy = started;
    }

    /** Whether the server answers. */
    public synchronized boolean running() {
        return proxy != null;
    }

    /**
     * Makes the next {@code times} PUTs of a key matching {@code key} (bucket/key) fail with HTTP 500;
     * {@link Integer#MAX_VALUE} fails them until {@link #clearFaults()}.
     */
    public void failPuts(Predicate<String> key, int times) {
        putFaults.add(new PutFault(key, new AtomicInteger(times)));
    }

    /** Lets every PUT succeed again, and counts {@link #failedPuts()} from 0. */
    public void clearFaults() {
        putFaults.clear();
        failedPuts.set(0);
    }

    /** How many PUTs failed by {@link #failPuts} since the last {@link #clearFaults()}. */
    public int failedPuts() {
        return failedPuts.get();
    }

    /** The bucket/key of every PUT the server stored, in order. */
    public List<String> storedPuts() {
        return List.copyOf(storedPuts);
    }

    /** The object's bytes as the server holds them, or null if there is none. */
    public byte[] read(String bucket, String key) {
        Blob blob = blobs.getBlob(bucket, key);
        if (blob == null) {
            return null;
        }
        try (InputStream in = blob.getPayload().openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stores an object directly, past any client (what bit rot or another writer would leave). */
    public void write(String bucket, String key, byte[] content) {
        blobs.putBlob(bucket, blobs.blobBuilder(key).payload(content).contentLength(content.length).build());
    }

    public void delete(String bucket, String key) {
        blobs.removeBlob(bucket, key);
    }

    /** The keys of every object under {@code prefix}, sorted. */
    public List<String> list(String bucket, String prefix) {
        List<String> keys = new ArrayList<>();
        ListContainerOptions options = ListContainerOptions.Builder.prefix(prefix).recursive();
        String marker = null;
        do {
            var page = blobs.list(bucket, marker == null ? options : options.afterMarker(marker));
            for (StorageMetadata object : page) {
                keys.add(object.getName());
            }
            marker = page.getNextMarker();
        } while (marker != null);
        keys.sort(null);
        return keys;
    }

    @Override
    public void close() {
        stop();
        context.close();
    }

    /** The blob store, except that PUTs fail as {@link #failPuts} says; every stored PUT is recorded. */
    private BlobStore faultInjecting(BlobStore store) {
        return (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class},
                (proxy, method, args) -> {
                    boolean put = method.getName().equals("putBlob");
                    String key = put ? args[0] + "/" + ((Blob) args[1]).getMetadata().getName() : null;
                    if (put && shouldFail(key)) {
                        failedPuts.incrementAndGet();
                        throw new HttpResponseException("injected failure of the PUT of " + key, null,
                                HttpResponse.builder().statusCode(500).message("injected failure").build());
                    }
                    Object result = invoke(method, store, args);
                    if (put) {
                        storedPuts.add(key);
                    }
                    return result;
                });
    }

    private boolean shouldFail(String key) {
        for (PutFault fault : putFaults) {
            if (fault.key().test(key) && fault.left().getAndUpdate(n -> n == Integer.MAX_VALUE ? n : Math.max(0, n - 1))
                    > 0) {
                return true;
            }
        }
        return false;
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private record PutFault(Predicate<String> key, AtomicInteger left) {}
}
