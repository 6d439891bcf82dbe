package dev.streaminglstm.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A real Flink session cluster on this machine, started the way Flink's {@code bin/} scripts start one, from
 * the jars on a given class path instead of a Flink distribution: a JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and one TaskManager ({@code TaskManagerRunner}) as two JVM
 * processes, with {@code conf/config.yaml}, memory flags from {@code BashJavaUtils} (as the scripts compute
 * them), the Java 17 {@code --add-opens} flags of this JVM, and {@code OMP_NUM_THREADS=1} for ND4J on the
 * TaskManager. Settings given to {@link #start(Path, List, Map, Path, Duration)} (HA, checkpoint storage, S3)
 * are added to the configuration, and a plugins folder given there is every process's {@code FLINK_PLUGINS_DIR}.
 *
 * <p>Faults: {@link #killTaskManager()} and {@link #killJobManager()} end a process with {@code kill -9};
 * {@link #startTaskManager} and {@link #startJobManager} start a new one in its place (the JobManager on the same
 * ports).
 *
 * <p>Everything lives under one directory: {@code conf/}, {@code log/} (the processes' logs and stdout, kept
 * after {@link #close()} for diagnosis; a process started in place of another logs to {@code NAME-2.log} and so
 * on), {@code tmp/}, {@code savepoints/} (the cluster's default savepoint directory) and the TaskManager's ND4J
 * native library cache ({@code javacpp-cache/}, deleted on close: it holds about 400 MB). {@link #close()} stops
 * the processes with SIGTERM and kills what has not stopped after {@value #STOP_TIMEOUT_SECONDS} s; so does a
 * shutdown hook, should the test JVM end first.
 */
final class StandaloneFlinkCluster implements AutoCloseable {

    private static final String JOB_MANAGER = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String BASH_JAVA_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final String CLI_FRONTEND = "org.apache.flink.client.cli.CliFrontend";
    private static final Pattern SUBMITTED = Pattern.compile("submitted with JobID ([0-9a-f]{32})");
    private static final String RESULT_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";
    private static final long STOP_TIMEOUT_SECONDS = 30;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static final String LOG4J_PROPERTIES = """
            rootLogger.level = INFO
            rootLogger.appenderRef.file.ref = MainAppender
            appender.main.name = MainAppender
            appender.main.type = File
            appender.main.append = true
            appender.main.fileName = ${sys:log.file}
            appender.main.layout.type = PatternLayout
            appender.main.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-50c{1.} [%t] - %m%n
            logger.kafka.name = org.apache.kafka
            logger.kafka.level = WARN
            """;

    private final Path dir;
    private final String classpath;
    private final int restPort;
    private final Path plugins;
    /** Every process started, in order; the living ones are stopped on close. */
    private final List<Process> processes = new ArrayList<>();
    private final Map<String, Integer> launches = new java.util.HashMap<>();
    private Process jobManager;
    private Process taskManager;
    private int submissions;
    private final Thread shutdownHook = new Thread(this::stopProcesses, "stop-standalone-flink-cluster");

    private StandaloneFlinkCluster(Path dir, List<Path> classpath, int restPort, Path plugins) {
        this.dir = dir;
        this.classpath = classpath.stream().map(Path::toString).collect(Collectors.joining(":"));
        this.restPort = restPort;
        this.plugins = plugins;
    }

    /**
     * Starts the cluster in {@code dir} (emptied first) with the jars of {@code classpath}, and waits until the
     * TaskManager has registered with the JobManager. On failure, the processes are stopped and the exception
     * carries the ends of their logs.
     */
    static StandaloneFlinkCluster start(Path dir, List<Path> classpath, Duration timeout) throws IOException {
        return start(dir, classpath, Map.of(), null, timeout);
    }

    /**
     * {@link #start(Path, List, Duration)} with {@code settings} added to (or replacing) the configuration, and
     * {@code plugins} (null for none) as the processes' plugins folder.
     */
    static StandaloneFlinkCluster start(Path dir, List<Path> classpath, Map<String, String> settings, Path plugins,
            Duration timeout) throws IOException {
        deleteRecursively(dir);
        Files.createDirectories(dir.resolve("conf"));
        Files.createDirectories(dir.resolve("log"));
        Files.createDirectories(dir.resolve("tmp"));
        StandaloneFlinkCluster cluster = new StandaloneFlinkCluster(dir, classpath, freePort(), plugins);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.writeConfiguration(freePort(), settings);
            cluster.startJobManager();
            cluster.startTaskManager(Set.of(), timeout);
            return cluster;
        } catch (IOException | RuntimeException e) {
            String logs = cluster.logTails(60);
            try {
                cluster.close();
            } catch (IOException | RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw new IllegalStateException("the standalone Flink cluster did not start: " + e.getMessage()
                    + "\n" + logs, e);
        }
    }

    /** Ends the TaskManager's JVM with {@code kill -9} (SIGKILL: no shutdown hook, no goodbye to the JobManager). */
    void killTaskManager() throws IOException {
        kill(taskManager);
    }

    /** Ends the JobManager's JVM with {@code kill -9}. */
    void killJobManager() throws IOException {
        kill(jobManager);
    }

    /**
     * Starts a TaskManager (in place of one killed) and waits until it, not one that was there before, has
     * registered with the JobManager.
     */
    void startTaskManager(Duration timeout) throws IOException {
        startTaskManager(taskManagerIds(), timeout);
    }

    private void startTaskManager(Set<String> before, Duration timeout) throws IOException {
        taskManager = launch("taskmanager", TASK_MANAGER, "GET_TM_RESOURCE_PARAMS", Map.of("OMP_NUM_THREADS", "1"),
                List.of("-Dorg.bytedeco.javacpp.cachedir=" + javacppCache()));
        awaitRegistration(before, timeout);
    }

    /**
     * Starts a JobManager (in place of one killed), on the ports of the first; returns once its REST endpoint
     * answers.
     */
    void startJobManager() throws IOException {
        jobManager = launch("jobmanager", JOB_MANAGER, "GET_JM_RESOURCE_PARAMS", Map.of(), List.of());
    }

    /** Cancels a job unless it has ended, and waits until it has (PATCH /jobs/JOB?mode=cancel). */
    void cancel(JobID job) throws IOException {
        List<String> ended = List.of("CANCELED", "FAILED", "FINISHED");
        if (ended.contains(rest("/jobs/" + job).path("state").asText())) {
            return;
        }
        try {
            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(restUrl() + "/jobs/" + job + "?mode=cancel"))
                    .method("PATCH", HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 202) {
                throw new IOException("cancelling " + job + " answered " + response.statusCode() + ": "
                        + response.body());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while cancelling " + job, e);
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!ended.contains(rest("/jobs/" + job).path("state").asText())) {
            if (System.nanoTime() > deadline) {
                throw new IOException("job " + job + " has not ended a minute after it was cancelled");
            }
            sleep(Duration.ofMillis(250));
        }
    }

    /** GET on the REST API; the response's JSON, or an exception naming the status and body. */
    JsonNode rest(String path) throws IOException {
        HttpResponse<String> response;
        try {
            response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                    HttpRequest.newBuilder(URI.create(restUrl() + path)).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during GET " + path, e);
        }
        if (response.statusCode() != 200) {
            throw new IOException("GET " + path + " answered " + response.statusCode() + ": " + response.body());
        }
        return JSON.readTree(response.body());
    }

    /** The jars the build lists in {@code flink.cluster.classpath.file}: what a Flink 2.2 cluster's lib/ holds. */
    static List<Path> classpathFromBuild() throws IOException {
        String line = Files.readString(Path.of(System.getProperty("flink.cluster.classpath.file"))).trim();
        return Arrays.stream(line.split(":")).map(Path::of).toList();
    }

    /** The JobManager's REST endpoint, as deploy/scripts take it in FLINK_REST_URL. */
    String restUrl() {
        return "http://localhost:" + restPort;
    }

    /** The cluster's execution.checkpointing.savepoint-dir. */
    Path savepointDirectory() {
        return dir.resolve("savepoints");
    }

    /** Configuration for a client of this cluster (REST address and port, JobManager address). */
    Configuration clientConfiguration() {
        Configuration configuration = new Configuration();
        configuration.set(RestOptions.ADDRESS, "localhost");
        configuration.set(RestOptions.PORT, restPort);
        configuration.set(JobManagerOptions.ADDRESS, "localhost");
        return configuration;
    }

    /**
     * Submits a job jar as {@code flink run --detached JAR ARGS} does: Flink's {@code CliFrontend} in a JVM of
     * its own, on the cluster's class path, with {@code FLINK_CONF_DIR} pointing at this cluster's configuration.
     * Its output goes to {@code log/flink-run-N.out}, N counting the submissions.
     *
     * @return the id of the submitted job
     */
    JobID submit(Path jobJar, List<String> args, Duration timeout) throws IOException {
        submissions++;
        Path output = dir.resolve("log/flink-run-" + submissions + ".out");
        List<String> command = new ArrayList<>(List.of(javaExecutable()));
        command.addAll(moduleFlags());
        command.add("-Dlog.file=" + dir.resolve("log/flink-run-" + submissions + ".log"));
        command.add("-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties").toUri());
        command.addAll(List.of("-cp", classpath, CLI_FRONTEND, "run", "--detached", jobJar.toString()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().put("FLINK_CONF_DIR", dir.resolve("conf").toString());
        int status = runToEnd(builder.start(), "flink run", timeout);
        String printed = Files.readString(output, StandardCharsets.UTF_8);
        Matcher submitted = SUBMITTED.matcher(printed);
        if (status != 0 || !submitted.find()) {
            throw new IllegalStateException("flink run exited with " + status + " without submitting the job:\n"
                    + printed);
        }
        return JobID.fromHexString(submitted.group(1));
    }

    /** The last {@code lines} lines of each process's log and standard output. */
    String logTails(int lines) {
        Path logDir = dir.resolve("log");
        if (!Files.isDirectory(logDir)) {
            return "(no logs in " + logDir + ")";
        }
        StringBuilder tails = new StringBuilder();
        try (Stream<Path> files = Files.list(logDir)) {
            for (Path file : files.sorted().toList()) {
                List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
                tails.append("----- last ").append(Math.min(lines, all.size())).append(" lines of ").append(file)
                        .append('\n');
                all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> tails.append(l).append('\n'));
            }
        } catch (IOException e) {
            tails.append("(cannot read the logs in ").append(logDir).append(": ").append(e).append(")\n");
        }
        return tails.toString();
    }

    /** Stops the TaskManager, then the JobManager, and deletes the native library cache; the logs stay. */
    @Override
    public void close() throws IOException {
        stopProcesses();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook runs or has run: nothing left to remove
        }
        deleteRecursively(javacppCache());
    }

    private Path javacppCache() {
        return dir.resolve("javacpp-cache");
    }

    private void writeConfiguration(int rpcPort, Map<String, String> settings) throws IOException {
        Map<String, String> config = new LinkedHashMap<>();
        config.put("jobmanager.rpc.address", "localhost");
        config.put("jobmanager.rpc.port", Integer.toString(rpcPort));
        config.put("jobmanager.bind-host", "localhost");
        config.put("jobmanager.memory.process.size", "1024m");
        config.put("taskmanager.host", "localhost");
        config.put("taskmanager.bind-host", "localhost");
        config.put("taskmanager.numberOfTaskSlots", "2");
        // no RocksDB: little managed memory, so that the task heap (and with it ND4J's native allocation limit,
        // which JavaCPP derives from -Xmx) is large enough
        config.put("taskmanager.memory.process.size", "2048m");
        config.put("taskmanager.memory.managed.size", "64m");
        config.put("rest.address", "localhost");
        config.put("rest.bind-address", "localhost");
        config.put("rest.port", Integer.toString(restPort));
        config.put("parallelism.default", "1");
        // a failing job fails the test at once instead of restarting forever
        config.put("restart-strategy.type", "none");
        // where savepoints go when none is named (deploy/scripts rely on it, as on a cluster configured for them)
        config.put("execution.checkpointing.savepoint-dir", savepointDirectory().toUri().toString());
        config.put("io.tmp.dirs", dir.resolve("tmp").toString());
        config.putAll(settings);
        String yaml = config.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue())
                .collect(Collectors.joining("\n", "", "\n"));
        Files.writeString(dir.resolve("conf/config.yaml"), yaml);
        Files.writeString(dir.resolve("conf/log4j.properties"), LOG4J_PROPERTIES);
    }

    /**
     * Starts one Flink process the way {@code bin/jobmanager.sh} and {@code bin/taskmanager.sh} do: JVM memory
     * flags and dynamic properties from {@code BashJavaUtils}, then the entry point with {@code --configDir}.
     */
    private Process launch(String role, String mainClass, String resourceCommand, Map<String, String> environment,
            List<String> extraJvmFlags) throws IOException {
        int launch = launches.merge(role, 1, Integer::sum);
        String name = launch == 1 ? role : role + "-" + launch;
        List<String> resourceParams = bashJavaUtils(resourceCommand);
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(words(resourceParams.get(0)));
        command.addAll(moduleFlags());
        command.addAll(extraJvmFlags);
        command.add("-Dlog.file=" + dir.resolve("log/" + name + ".log"));
        command.add("-Dlog4j.configurationFile=" + dir.resolve("conf/log4j.properties").toUri());
        command.addAll(List.of("-cp", classpath, mainClass, "--configDir", dir.resolve("conf").toString()));
        command.addAll(words(resourceParams.get(1)));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("log/" + name + ".out").toFile());
        builder.environment().putAll(environment);
        if (plugins != null) {
            builder.environment().put("FLINK_PLUGINS_DIR", plugins.toString());
        }
        Process process = builder.start();
        processes.add(process);
        return process;
    }

    /** Runs {@code BashJavaUtils COMMAND --configDir conf}; returns its two result lines (JVM flags, -D properties). */
    private List<String> bashJavaUtils(String command) throws IOException {
        Path output = dir.resolve("log/bash-java-utils-" + command.toLowerCase() + ".out");
        Process process = new ProcessBuilder(javaExecutable(), "-cp", classpath, BASH_JAVA_UTILS, command,
                "--configDir", dir.resolve("conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(output.toFile())
                .start();
        int status = runToEnd(process, "BashJavaUtils " + command, Duration.ofSeconds(60));
        List<String> results = Files.readAllLines(output).stream()
                .filter(line -> line.startsWith(RESULT_PREFIX))
                .map(line -> line.substring(RESULT_PREFIX.length()))
                .toList();
        if (status != 0 || results.size() != 2) {
            throw new IOException("BashJavaUtils " + command + " exited with " + status + " and "
                    + results.size() + " result lines instead of 2; see " + output);
        }
        return results;
    }

    /** Waits for a short-lived helper process to end; returns its exit status. */
    private static int runToEnd(Process process, String what, Duration timeout) throws IOException {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new IOException(what + " did not finish within " + timeout);
            }
            return process.exitValue();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + what, e);
        }
    }

    /** Waits until a TaskManager not in {@code before} has registered; fails at once if a process ends. */
    private void awaitRegistration(Set<String> before, Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (Process process : List.of(jobManager, taskManager)) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("a cluster process exited with status " + process.exitValue());
                }
            }
            try {
                Set<String> registered = new java.util.HashSet<>(taskManagerIds());
                registered.removeAll(before);
                if (!registered.isEmpty()) {
                    return;
                }
            } catch (IOException notUpYet) {
                // the REST endpoint is not listening yet, or has no leader yet
            }
            sleep(Duration.ofMillis(500));
        }
        throw new IllegalStateException("no new TaskManager registered within " + timeout);
    }

    /**
     * A metric of the TaskManagers, e.g. {@code Status.JVM.Memory.Metaspace.Used}: the highest value among those the
     * JobManager knows; 0 if none reports it.
     */
    long taskManagerMetric(String metric) throws IOException {
        long highest = 0;
        for (String id : taskManagerIds()) {
            for (JsonNode value : rest("/taskmanagers/" + id + "/metrics?get=" + metric)) {
                highest = Math.max(highest, value.path("value").asLong());
            }
        }
        return highest;
    }

    /** The ids of the TaskManagers the JobManager knows (a killed one until it is declared lost). */
    private Set<String> taskManagerIds() throws IOException {
        Set<String> ids = new java.util.HashSet<>();
        for (JsonNode taskManager : rest("/taskmanagers").path("taskmanagers")) {
            ids.add(taskManager.path("id").asText());
        }
        return ids;
    }

    private static void kill(Process process) throws IOException {
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(process.pid())).inheritIO().start();
        int status = runToEnd(kill, "kill -9 " + process.pid(), Duration.ofSeconds(30));
        if (status != 0) {
            throw new IOException("kill -9 " + process.pid() + " exited with " + status);
        }
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new IOException("process " + process.pid() + " still runs 30 s after kill -9");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for process " + process.pid() + " to end", e);
        }
    }

    private void stopProcesses() {
        // the TaskManager first, so that it does not try to reconnect to a JobManager that is gone
        List<Process> order = new ArrayList<>();
        if (taskManager != null) {
            order.add(taskManager);
        }
        if (jobManager != null) {
            order.add(jobManager);
        }
        order.addAll(processes);
        for (Process process : order) {
            if (!process.isAlive()) {
                continue;
            }
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(STOP_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The {@code --add-opens}/{@code --add-exports} flags this JVM runs with: those Flink needs on Java 17. */
    private static List<String> moduleFlags() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(arg -> arg.startsWith("--add-opens") || arg.startsWith("--add-exports"))
                .toList();
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static List<String> words(String line) {
        return Arrays.stream(line.trim().split("\\s+")).filter(word -> !word.isEmpty()).toList();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster", e);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
