package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.deploy.JobSources;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command as a user runs it: {@code bin/streaming-lstm sandbox}, a process of its own, started by
 * the launcher from the built module. Its terminal holds what the sandbox says and nothing the libraries log (their
 * log goes to the run folder's file), and it ends on {@code --duration} with the summary, whose last line is the
 * key=value pairs scripts read.
 */
class LauncherSandboxITCase {

    @TempDir
    Path workDir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theLaunchedSandboxEndsWithItsSummaryAndKeepsTheLogOutOfTheTerminal() throws Exception {
        Path out = workDir.resolve("out.txt");
        Path err = workDir.resolve("err.txt");
        List<String> command = List.of(JobSources.REPOSITORY.resolve("bin/streaming-lstm").toString(), "sandbox",
                "--duration", "25s", "--quiet", "--work-dir", workDir.resolve("runs").toString(),
                "--hidden", "32", "--embed", "16", "--window", "16", "--batch", "8", "--streams", "4",
                "--checkpoint-interval", "2s", "--publish-every-windows", "8");
        Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(150, TimeUnit.SECONDS)).as("the sandbox ends after its duration").isTrue();
        String stdout = Files.readString(out, StandardCharsets.UTF_8);
        String stderr = Files.readString(err, StandardCharsets.UTF_8);

        assertThat(process.exitValue()).as("exit code; stdout:%n%s%nstderr:%n%s", stdout, stderr).isZero();
        assertThat(stderr).as("stderr").isEmpty();
        assertThat(stdout.lines()).as("stdout, without a line of the libraries' log")
                .noneMatch(line -> line.matches("^\\[?\\d{4}-\\d\\d-\\d\\d[ T].*")
                        || line.matches(".*\\b(INFO|WARN|ERROR|DEBUG)\\b.*\\([\\w.$]+:\\d+\\)\\s*$"));
        assertThat(stdout).contains("sandbox run folder: ").contains("sandbox summary after ");
        String last = stdout.strip().lines().reduce((a, b) -> b).orElse("");
        assertThat(last).matches("tokens=\\d+ streams=4 version=\\d+ .*predictions=\\d+ dead_letters=0.*");

        Path runs = workDir.resolve("runs");
        try (var dirs = Files.list(runs)) {
            Path run = dirs.filter(Files::isDirectory).findFirst().orElseThrow();
            assertThat(run.resolve("sandbox.log")).as("the libraries' log, in the run folder").isNotEmptyFile();
        }
    }
}
