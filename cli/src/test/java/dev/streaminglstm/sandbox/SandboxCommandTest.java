package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.cli.StreamingLstmCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code streaming-lstm sandbox} with flags it must refuse before starting anything, and its help. */
class SandboxCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalOut;
    private PrintStream originalErr;

    @BeforeEach
    void captureOutput() {
        originalOut = System.out;
        originalErr = System.err;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreOutput() {
        System.setOut(originalOut);
        System.setErr(originalErr);
    }

    private int sandbox(String... flags) {
        List<String> args = new ArrayList<>(List.of("sandbox", "--work-dir", dir.resolve("work").toString()));
        args.addAll(List.of(flags));
        return StreamingLstmCli.run(args.toArray(String[]::new));
    }

    private List<String> errorLines() {
        return err.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            --streams abc                  | --streams: 'abc' is not a whole number
            --streams 0                    | --streams: must be between 1 and 1024, was 0
            --duration 3m                  | --duration: '3m' is not a duration
            --duration                     | --duration: needs a value
            --rate -5                      | --rate: '-5' is not a number of bytes per second
            --split words                  | --split: 'words' is not lines or paragraphs
            --checkpoint-interval 10ms     | --checkpoint-interval: must be between 100ms and 1h
            --early-checkpoints -1s        | --early-checkpoints: '-1s' is not a duration
            --chunk-bytes 2                | --chunk-bytes: must be between 4 and 65536, was 2
            --hidden 0                     | --hidden: must be between 1 and 8192, was 0
            --learning-rate 99             | --learning-rate: must be above 0 and at most 10.0, was 99.0
            --no-such-flag                 | --no-such-flag: unknown flag
            --store file:///elsewhere      | --store: the sandbox sets it
            --bootstrap-servers host:9092  | --bootstrap-servers: the sandbox sets it
            --streams 2 --streams 3        | --streams: given more than once
            stray                          | 'stray': unexpected argument
            --kafka-port 70000             | --kafka-port: must be between 0 and 65535, was 70000
            --web-port -1                  | --web-port: must be between 0 and 65535, was -1
            --metrics-port x               | --metrics-port: 'x' is not a whole number
            --bind-address no.such.host.invalid | --bind-address: 'no.such.host.invalid' is not an address
            --bind-address 192.0.2.1       | --bind-address: 192.0.2.1 is no address of this machine
            --wire-format CONFLUENT        | --schema-registry-url: required with --wire-format CONFLUENT
            --schema-registry-url http://r:8081 | --schema-registry-url: used with --wire-format CONFLUENT only
            """)
    void badFlagsExitWith2AndOneLineNamingTheFlag(String flags, String message) {
        int exit = sandbox(flags.trim().split(" +"));

        assertThat(exit).isEqualTo(2);
        assertThat(errorLines()).hasSize(1);
        assertThat(errorLines().get(0)).startsWith("streaming-lstm sandbox: ").contains(message);
        assertThat(dir.resolve("work")).as("nothing was started").doesNotExist();
    }

    @Test
    void anInputFileThatIsNotThereIsRefused() {
        int exit = sandbox("--input", dir.resolve("missing.txt").toString());

        assertThat(exit).isEqualTo(2);
        assertThat(errorLines()).singleElement().asString().contains("--input: ").contains("missing.txt")
                .contains("is not a readable file");
    }

    @Test
    void aWorkDirThatIsAFileIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");

        int exit = StreamingLstmCli.run("sandbox", "--work-dir", file.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(errorLines()).singleElement().asString().contains("--work-dir: ").contains("is not a folder");
    }

    @Test
    void aTakenPortIsOneLineNamingItsFlagAndNothingStarts() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int exit = sandbox("--kafka-port", "0", "--web-port", Integer.toString(taken.getLocalPort()),
                    "--metrics-port", "0");

            assertThat(exit).isEqualTo(1);
            assertThat(errorLines()).singleElement().asString()
                    .isEqualTo("streaming-lstm sandbox: --web-port: 127.0.0.1:" + taken.getLocalPort()
                            + " is taken (another sandbox? another server?); give a free port, or 0 for any free port");
            assertThat(dir.resolve("work")).as("nothing was started").doesNotExist();
        }
    }

    @Test
    void aResumedRunKeepsTheFlagsItStartedWith() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.write(run.resolve("sandbox-args.txt"), List.of("--hidden", "32"));

        int exit = StreamingLstmCli.run("sandbox", "--resume", run.toString(), "--hidden", "64");

        assertThat(exit).isEqualTo(2);
        assertThat(errorLines()).singleElement().asString().startsWith("streaming-lstm sandbox: --hidden: a resumed "
                + "run keeps the flags it started with (in its sandbox-args.txt); only --bind-address, --duration, "
                + "--kafka-port, --metrics-port, --quiet, --training-first, --web-port may be given");
    }

    @Test
    void aResumedRunKeepsItsJobFlagsToo() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.write(run.resolve("sandbox-args.txt"), List.of("--hidden", "32"));

        int exit = StreamingLstmCli.run("sandbox", "--resume", run.toString(), "--learning-rate=0.01");

        assertThat(exit).isEqualTo(2);
        assertThat(errorLines()).singleElement().asString().contains("--learning-rate: a resumed run keeps");
    }

    @Test
    void aFolderThatIsNoRunCannotBeResumed() throws Exception {
        Path notARun = Files.createDirectories(dir.resolve("elsewhere"));

        int exit = StreamingLstmCli.run("sandbox", "--resume", notARun.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(errorLines()).singleElement().asString().contains("--resume: ").contains("elsewhere")
                .contains("is not a sandbox run folder (no sandbox-args.txt");
    }

    @Test
    void aRunWithoutACheckpointCannotBeResumed() throws Exception {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.write(run.resolve("sandbox-args.txt"), List.of("--streams", "2"));

        int exit = StreamingLstmCli.run("sandbox", "--resume", run.toString(), "--kafka-port", "0", "--web-port", "0",
                "--metrics-port", "0");

        assertThat(exit).isEqualTo(1);
        assertThat(errorLines()).singleElement().asString().contains("--resume: ")
                .contains("holds no complete checkpoint of a sandbox run");
    }

    @Test
    void helpListsTheSandboxFlagsAndTheJobFlags() {
        int exit = sandbox("--help");

        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(exit).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(help).contains("--duration", "--work-dir", "--input", "--split", "--streams", "--rate", "--hidden",
                "--window", "--batch", "--checkpoint-interval", "--early-checkpoints", "--quiet", "key=value",
                "--kafka-port", "--web-port", "--metrics-port", "--bind-address", "--resume")
                .contains("--learning-rate", "--continuation-length");
    }
}
