package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The repository as the deployment and documentation tests read it: where it is, and the metric names the job's
 * operators register, read from their sources (what the Prometheus reporter exports, what the README lists).
 */
public final class JobSources {

    /** The repository: the folder holding docker-compose.yml beside flink-job/. */
    public static final Path REPOSITORY = repositoryRoot();

    /** The job's sources, whose operators register the metrics. */
    static final Path JOB_SOURCES = REPOSITORY.resolve("flink-job/src/main/java/dev/streaminglstm/job");

    /** Prefix the Prometheus reporter gives the metrics registered on an operator's metric group. */
    static final String OPERATOR_METRIC_PREFIX = "flink_taskmanager_job_task_operator_";

    private JobSources() {}

    /**
     * The metric names the job's operators register, read from their sources: {@code counter("x")},
     * {@code gauge("x", ...)}, {@code histogram("x", ...)}, {@code meter("x", ...)}, or a string constant's name in
     * place of the literal.
     */
    static Set<String> registeredMetricNames() {
        List<String> sources;
        try (Stream<Path> files = Files.walk(JOB_SOURCES)) {
            sources = files.filter(file -> file.toString().endsWith(".java")).sorted().map(JobSources::read).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, String> constants = new HashMap<>();
        Pattern constant = Pattern.compile("static final String ([A-Z][A-Z0-9_]*) = \"([^\"]*)\"");
        for (String source : sources) {
            Matcher m = constant.matcher(source);
            while (m.find()) {
                constants.put(m.group(1), m.group(2));
            }
        }
        Pattern registration =
                Pattern.compile("\\.(?:counter|gauge|histogram|meter)\\(\\s*(?:\"(\\w+)\"|([A-Z][A-Z0-9_]*))");
        Set<String> names = new TreeSet<>();
        for (String source : sources) {
            Matcher m = registration.matcher(source);
            while (m.find()) {
                String metric = m.group(1) != null ? m.group(1) : constants.get(m.group(2));
                assertThat(metric).as("the value of %s, a metric name", m.group(2)).isNotNull();
                names.add(metric);
            }
        }
        assertThat(names).as("metric names registered in %s", JOB_SOURCES).isNotEmpty();
        return names;
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The folder holding docker-compose.yml beside flink-job/: the module's parent when Maven runs the test. */
    private static Path repositoryRoot() {
        Path start = Path.of("").toAbsolutePath();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docker-compose.yml")) && Files.isDirectory(dir.resolve("flink-job"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no docker-compose.yml beside flink-job/ in " + start + " or above");
    }
}
