package dev.streaminglstm.registry;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real Apicurio Registry, in its own JVM, with in-memory storage, listening on a free loopback port; for tests.
 * It runs the application this module builds into {@code target/quarkus-app/} (or the {@code quarkus-run.jar} that
 * system property {@value #RUNNER_PROPERTY} names) with the Java of the calling JVM.
 *
 * <p>Uses nothing but the JDK, so that tests can put this class on their class path without the registry's own.
 */
public final class SchemaRegistryServer implements AutoCloseable {

    /** System property naming the registry's {@code quarkus-run.jar}, to run another build than this module's. */
    public static final String RUNNER_PROPERTY = "schema.registry.runner";

    /** The Confluent-compatible API below the server's root. */
    public static final String CONFLUENT_API = "/apis/ccompat/v7";

    private static final Pattern LISTENING = Pattern.compile("Listening on: (http://127\\.0\\.0\\.1:\\d+)");
    private static final long START_TIMEOUT_SECONDS = 180;
    private static final int LOG_TAIL_LINES = 30;

    private final Process process;
    private final String root;
    private final Path log;

    private SchemaRegistryServer(Process process, String root, Path log) {
        this.process = process;
        this.root = root;
        this.log = log;
    }

    /**
     * Starts a registry and waits until it listens.
     *
     * @throws IllegalStateException when the registry application is not built or does not start in time; the
     *                               message holds the last lines it wrote
     */
    public static SchemaRegistryServer start() throws IOException {
        Path runner = runner();
        Path log = Files.createTempFile(logDirectory(), "schema-registry-", ".log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(List.of(java, "-Xmx384m", "-XX:TieredStopAtLevel=1",
                "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.http.port=0", "-jar", runner.toString()))
                .redirectErrorStream(true)
                .start();
        // a test JVM that ends without close() must not leave a registry behind
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "schema-registry-stop"));
        Deque<String> tail = new ArrayDeque<>();
        CompletableFuture<String> listening = new CompletableFuture<>();
        Thread pump = new Thread(() -> pump(process, log, tail, listening), "schema-registry-log");
        pump.setDaemon(true);
        pump.start();
        try {
            String root = listening.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new SchemaRegistryServer(process, root, log);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the schema registry started", e);
        } catch (ExecutionException | TimeoutException e) {
            process.destroyForcibly();
            String lines;
            synchronized (tail) {
                lines = String.join("\n", tail);
            }
            throw new IllegalStateException("the schema registry (" + runner + ") did not start within "
                    + START_TIMEOUT_SECONDS + " s; its log is " + log + ", ending:\n" + lines, e);
        }
    }

    /** The server's root, {@code http://127.0.0.1:PORT}. */
    public String root() {
        return root;
    }

    /** The base URL of the Confluent-compatible API: what a Confluent client or Flink's avro-confluent takes. */
    public String confluentUrl() {
        return root + CONFLUENT_API;
    }

    /** Where the server's output goes. */
    public Path log() {
        return log;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Copies the server's output to {@code log}, keeps its last lines, and reports the URL it listens on. */
    private static void pump(Process process, Path log, Deque<String> tail, CompletableFuture<String> listening) {
        try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                out.write(line);
                out.newLine();
                out.flush();
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > LOG_TAIL_LINES) {
                        tail.removeFirst();
                    }
                }
                Matcher matcher = LISTENING.matcher(line);
                if (matcher.find()) {
                    listening.complete(matcher.group(1));
                }
            }
            listening.completeExceptionally(new IllegalStateException("the schema registry exited"));
        } catch (IOException | RuntimeException e) {
            listening.completeExceptionally(e);
        }
    }

    /** {@code target/} of the module whose tests run (their working directory), else the temporary directory. */
    private static Path logDirectory() {
        Path target = Path.of("target");
        return Files.isDirectory(target) ? target : Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** The registry's {@code quarkus-run.jar}: the system property's, or the one built beside this class. */
    static Path runner() {
        String configured = System.getProperty(RUNNER_PROPERTY);
        Path runner = configured != null ? Path.of(configured) : besideThisModule();
        if (!Files.isRegularFile(runner)) {
            throw new IllegalStateException("no schema registry application at " + runner
                    + ": build it with `mvn -B -pl schema-registry package`, or set -D" + RUNNER_PROPERTY);
        }
        return runner;
    }

    /** {@code target/quarkus-app/quarkus-run.jar} of this module, from where this class was loaded. */
    private static Path besideThisModule() {
        try {
            // target/classes or target/schema-registry-VERSION.jar
            Path loadedFrom = Path.of(SchemaRegistryServer.class.getProtectionDomain().getCodeSource().getLocation()
                    .toURI());
            return loadedFrom.getParent().resolve("quarkus-app").resolve("quarkus-run.jar");
        } catch (URISyntaxException e) {
            throw new UncheckedIOException(new IOException("cannot tell where " + SchemaRegistryServer.class
                    + " was loaded from", e));
        }
    }
}
