package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shell scripts of {@code deploy/} (all but Docker Compose's): each is a bash script that parses
 * ({@code bash -n}), is executable and runs with {@code set -euo pipefail}; each operator-facing one prints its
 * usage and exits 2 when its arguments are wrong, before it touches any cluster.
 */
class DeployScriptsTest {

    private static final Path DEPLOY = Path.of(System.getProperty("deploy.dir"));
    private static final String JOB_ID = "0123456789abcdef0123456789abcdef";

    static Stream<Path> scripts() throws IOException {
        List<Path> scripts = new ArrayList<>();
        for (String folder : List.of("scripts", "kafka", "image")) {
            try (Stream<Path> files = Files.list(DEPLOY.resolve(folder))) {
                files.filter(Files::isRegularFile)
                        .filter(f -> f.toString().endsWith(".sh") || f.getFileName().toString().equals("streaming-lstm"))
                        .sorted().forEach(scripts::add);
            }
        }
        assertThat(scripts).hasSizeGreaterThanOrEqualTo(8);
        return scripts.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void isAStrictExecutableBashScriptThatParses(Path script) throws Exception {
        List<String> lines = Files.readAllLines(script, StandardCharsets.UTF_8);
        assertThat(lines.get(0)).isEqualTo("#!/usr/bin/env bash");
        assertThat(lines).contains("set -euo pipefail");
        assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
        Result check = bash(List.of("-n", script.toString()));
        assertThat(check.status()).as("bash -n %s: %s", script, check.err()).isZero();
    }

    @Test
    void restHelpersAreSourcedNotRun() throws Exception {
        Path lib = DEPLOY.resolve("scripts/lib/flink-rest.sh");
        assertThat(bash(List.of("-n", lib.toString())).status()).isZero();
        try (Stream<Path> scripts = Files.list(DEPLOY.resolve("scripts"))) {
            for (Path script : scripts.filter(f -> f.toString().endsWith(".sh")).toList()) {
                String text = Files.readString(script);
                assertThat(text).as(script.toString()).satisfiesAnyOf(
                        t -> assertThat(t).contains("source \"$(dirname \"${BASH_SOURCE[0]}\")/lib/flink-rest.sh\""),
                        t -> assertThat(t).contains("exec \"$(dirname \"${BASH_SOURCE[0]}\")/submit.sh\""));
            }
        }
    }

    @Test
    void everyOperatorScriptShowsItsUsageOnMissingArguments() throws Exception {
        for (String script : List.of("scripts/submit.sh", "scripts/savepoint.sh", "scripts/stop-with-savepoint.sh",
                "scripts/resume.sh", "scripts/rescale.sh", "kafka/create-topics.sh")) {
            Result run = bash(List.of(DEPLOY.resolve(script).toString()));
            assertThat(run.status()).as("%s without arguments: exit status", script).isEqualTo(2);
            assertThat(run.err()).as("%s without arguments: stderr", script).contains("usage:");
        }
    }

    @Test
    void badArgumentsAreNamedBeforeAnyClusterIsCalled(@TempDir Path dir) throws Exception {
        Path jar = Files.writeString(dir.resolve("job.jar"), "not a jar, never uploaded");
        String scripts = DEPLOY.resolve("scripts").toString();
        // an address nothing listens on: a script that got as far as calling it would say "cannot reach"
        List<String> env = List.of("FLINK_REST_URL=http://127.0.0.1:9");

        Result notAJobId = bash(env, List.of(scripts + "/savepoint.sh", "job-42"));
        assertThat(notAJobId.err()).contains("'job-42' is not a Flink job id").doesNotContain("cannot reach");
        assertThat(notAJobId.status()).isNotZero();

        Result badParallelism = bash(env, List.of(scripts + "/submit.sh", "-p", "two", jar.toString(), "--",
                "--bootstrap-servers", "kafka:9092"));
        assertThat(badParallelism.err()).contains("-p must be a whole number above 0, was 'two'");
        assertThat(badParallelism.status()).isNotZero();

        Result noJar = bash(env, List.of(scripts + "/submit.sh", dir.resolve("missing.jar").toString(), "--",
                "--bootstrap-servers", "kafka:9092"));
        assertThat(noJar.err()).contains("no jar at").doesNotContain("cannot reach");
        assertThat(noJar.status()).as("a failure, not a usage error").isEqualTo(1);

        Result parallelismInFlags = bash(env, List.of(scripts + "/rescale.sh", JOB_ID, "4", jar.toString(), "--",
                "--bootstrap-servers", "kafka:9092", "--parallelism", "2"));
        assertThat(parallelismInFlags.err()).contains("leave --parallelism out of JOB_FLAGS")
                .doesNotContain("cannot reach");
        assertThat(parallelismInFlags.status()).isNotZero();

        Result badTopic = bash(env, List.of(DEPLOY.resolve("kafka/create-topics.sh").toString(),
                "--bootstrap-server", "kafka:9092", "--input-topic", "no spaces allowed"));
        assertThat(badTopic.err()).contains("'no spaces allowed' is not a Kafka topic name");
        assertThat(badTopic.status()).isEqualTo(2);
    }

    private record Result(int status, String err) {}

    private static Result bash(List<String> args) throws Exception {
        return bash(List.of(), args);
    }

    private static Result bash(List<String> environment, List<String> args) throws Exception {
        List<String> command = new ArrayList<>(List.of("bash"));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        for (String variable : environment) {
            String[] pair = variable.split("=", 2);
            builder.environment().put(pair[0], pair[1]);
        }
        Process process = builder.start();
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s ends", command).isTrue();
        return new Result(process.exitValue(), err);
    }
}
