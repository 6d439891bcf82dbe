package dev.streaminglstm.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line as the project's image runs it ({@code deploy/image/streaming-lstm}): a JVM of its own on the
 * job jar and Flink's jars, nothing else. It lists its commands (the image's entrypoint routes them from that
 * list), runs the store commands, and says in one line that the sandbox, whose in-JVM Kafka broker the job jar leaves
 * out, is not in the image, instead of failing with a stack trace.
 */
class ImageCommandLineITCase {

    private static final String CLI = "dev.streaminglstm.cli.StreamingLstmCli";

    @TempDir
    Path dir;

    @Test
    void listsItsCommandsForTheImagesEntrypoint() throws Exception {
        Run run = cli("--help");

        assertThat(run.status()).as(run.err()).isZero();
        assertThat(run.out()).contains("Commands:");
        for (String command : List.of("sandbox", "produce", "tail", "models", "sample", "eval", "report", "bench")) {
            assertThat(run.out().lines()).as("the command list").anySatisfy(line -> assertThat(line)
                    .startsWith("  " + command + " "));
        }
    }

    @Test
    void theSandboxSaysInOneLineThatItIsNotInTheImage() throws Exception {
        Run run = cli("sandbox", "--duration", "5s", "--work-dir", dir.resolve("work").toString());

        assertThat(run.status()).as("exit status").isEqualTo(1);
        assertThat(run.err().lines()).as("stderr").singleElement().asString()
                .startsWith("streaming-lstm sandbox: the sandbox is not in this image")
                .contains("docker compose up");
        assertThat(run.out()).as("stdout").isEmpty();
    }

    @Test
    void storeCommandsRunFromTheJobJar() throws Exception {
        Run run = cli("models", "list", "--store", dir.toUri().toString());

        assertThat(run.status()).as("exit status").isEqualTo(1);
        assertThat(run.err().lines()).as("stderr").singleElement().asString()
                .isEqualTo("streaming-lstm models list: model store " + dir.toUri()
                        + " holds no model versions (nothing published there yet, or a wrong --store)");
    }

    private record Run(int status, String out, String err) {}

    private Run cli(String... args) throws IOException, InterruptedException {
        List<String> classpath = new ArrayList<>(List.of(System.getProperty("cli.jar"), System.getProperty("job.jar")));
        classpath.addAll(List.of(Files.readString(Path.of(System.getProperty("flink.cluster.classpath.file")))
                .trim().split(":")));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString()));
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .filter(arg -> arg.startsWith("--add-opens") || arg.startsWith("--add-exports")).toList());
        command.addAll(List.of("-cp", String.join(":", classpath), CLI));
        command.addAll(List.of(args));
        Path out = dir.resolve("cli.out");
        Path err = dir.resolve("cli.err");
        Process process = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).as("streaming-lstm %s ends", String.join(" ", args))
                .isTrue();
        return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                Files.readString(err, StandardCharsets.UTF_8));
    }
}
