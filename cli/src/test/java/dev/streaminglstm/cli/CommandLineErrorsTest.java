package dev.streaminglstm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Help, bad flags and unreachable brokers: every mistake is one line on stderr, exit code 2 for usage and 1 for a
 * failure at run time, and nothing on stdout.
 */
class CommandLineErrorsTest {

    private static final List<String> KAFKA_UNREACHABLE =
            List.of("--bootstrap-servers", "localhost:1", "--kafka-timeout-ms", "1500");

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"produce", "tail", "models", "models list", "models show", "models pin", "models unpin",
        "sample", "eval", "report", "bench", "bench kernel", "bench gradient-flow"})
    void everyCommandExplainsItself(String command) {
        CliRun run = CliRun.of(args(command, "--help"));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("Usage: streaming-lstm " + command);
        assertThat(run.err()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"produce --demo", "tail", "models list --store s", "models show --store s",
        "models pin 1 --store s", "models unpin --store s", "sample --store s", "eval f --store s",
        "report --store s -o r.png", "bench", "bench kernel", "bench gradient-flow"})
    void anUnknownFlagIsOneLineAndExitCode2(String commandLine) {
        String command = commandLine.replaceAll(" (-|\\d|f\\b).*", "");
        CliRun run = CliRun.of(args(commandLine, "--no-such-flag"));

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString()
                .isEqualTo("streaming-lstm " + command + ": Unknown option: '--no-such-flag' (see streaming-lstm "
                        + command + " --help)");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void theTopLevelCommandExplainsItselfAndNamesItsCommands() {
        CliRun run = CliRun.of("--help");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("Usage: streaming-lstm ");
        assertThat(run.outLines()).as("the command list the image's entrypoint reads")
                .contains("Commands:")
                .anySatisfy(line -> assertThat(line).startsWith("  sandbox "))
                .anySatisfy(line -> assertThat(line).startsWith("  bench "));
        assertThat(run.err()).isEmpty();
    }

    @Test
    void theTopLevelCommandRejectsAnUnknownFlagOrNoCommandInOneLine() {
        CliRun unknown = CliRun.of("--no-such-flag");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.errLines()).singleElement().asString()
                .isEqualTo("streaming-lstm: Unknown option: '--no-such-flag' (see streaming-lstm --help)");
        assertThat(unknown.out()).isEmpty();

        assertUsageError(CliRun.of(), "streaming-lstm: name a command (see streaming-lstm --help)");
        assertUsageError(CliRun.of("bench"), "streaming-lstm bench: name a benchmark: kernel, compare, gradient-flow, quality, "
                + "pipeline, latency, freshness, state, parallel, adaptation");
    }

    @ParameterizedTest
    @ValueSource(strings = {"kernel --peer pytorch|--peer must be auto, torch or none, was 'pytorch'",
        "kernel --threads 0|--threads must be at least 1, was 0",
        "kernel --batch 0|--batch must be at least 1, was 0",
        "kernel --vocab 1|--vocab must be at least 2, was 1",
        "kernel --tokens 0|--tokens must be at least 1, was 0",
        "kernel --warmup -1|--warmup must be at least 0, was -1",
        "kernel --hidden x|Invalid value for option '--hidden': 'x' is not an int",
        "gradient-flow --steps 1|--steps must be at least 2, was 1",
        "gradient-flow --hidden 0|--hidden must be at least 1, was 0",
        "gradient-flow --input 0|--input must be at least 1, was 0",
        "compare --rounds 0|--rounds must be at least 1, was 0",
        "compare --no-such 1|unknown flag --no-such (see --help)"})
    void badBenchmarkFlagsAreUsageErrorsNamingTheFlag(String caseLine) {
        String[] parts = caseLine.split("\\|");
        String command = "bench " + parts[0].split(" ")[0];

        CliRun run = CliRun.of(args("bench " + parts[0]));

        assertUsageError(run, "streaming-lstm " + command + ": " + parts[1] + " (see streaming-lstm " + command
                + " --help)");
    }

    @Test
    void theSandboxNamesTheBrokerClassThatIsMissing() {
        assertThat(SandboxCommand.missingBrokerClass(ClassLoader.getPlatformClassLoader()))
                .as("a class path without the in-JVM broker, as in the job jar")
                .contains("org.apache.kafka.common.test.KafkaClusterTestKit");
        assertThat(SandboxCommand.missingBrokerClass(SandboxCommand.class.getClassLoader()))
                .as("the cli module's own class path").isEmpty();
    }

    @Test
    void produceNeedsSomethingToSend() throws Exception {
        Path file = Files.writeString(dir.resolve("a.txt"), "text");

        assertUsageError(CliRun.of("produce"), "name the FILEs to send, - for standard input, or --demo");
        assertUsageError(CliRun.of("produce", "--demo", file.toString()), "give FILEs or --demo, not both");
        assertUsageError(CliRun.of("produce", dir.resolve("missing.txt").toString()),
                "missing.txt: not a readable file");
        assertUsageError(CliRun.of("produce", "-", "-"), "standard input) can be read only once");
        assertUsageError(CliRun.of("produce", "--demo", "--rate", "fast"), "--rate");
        assertUsageError(CliRun.of("produce", "--demo", "--chunk-bytes", "2"), "--chunk-bytes: must be at least 4");
        assertUsageError(CliRun.of("produce", "--demo", "--streams", "0"), "--streams");
        assertUsageError(CliRun.of("produce", "--demo", "--split", "words"), "'words' is not lines or paragraphs");
    }

    @Test
    void badKafkaPropertiesAreUsageErrors() {
        assertUsageError(CliRun.of("tail", "--kafka-properties-file", dir.resolve("none.properties").toString()),
                "--kafka-properties-file: cannot read");
        assertUsageError(CliRun.of("tail", "--kafka-property", "security.protocol"), "is not KEY=VALUE");
        assertUsageError(CliRun.of("tail", "--kafka-timeout-ms", "0"), "--kafka-timeout-ms");
        assertUsageError(CliRun.of("tail", "--max", "0"), "--max: must be at least 1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"produce --demo", "tail", "tail --dead-letters --from-beginning"})
    void anUnreachableBrokerIsOneLineAndExitCode1(String command) {
        CliRun run = CliRun.of(args(command, KAFKA_UNREACHABLE.toArray(String[]::new)));

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .startsWith("streaming-lstm " + command.split(" ")[0] + ": cannot reach Kafka at localhost:1 within "
                        + "1500 ms");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void anUnresolvableBrokerIsOneLineAndExitCode1() {
        CliRun run = CliRun.of("tail", "--bootstrap-servers", "no-such-host.invalid:9092");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .isEqualTo("streaming-lstm tail: cannot connect to Kafka at no-such-host.invalid:9092: "
                        + "No resolvable bootstrap urls given in bootstrap.servers");
    }

    @Test
    void anObjectStoreWithoutItsPluginIsOneLineNamingThePlugin() {
        CliRun run = CliRun.of("models", "list", "--store", "s3://bucket/models");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.errLines()).singleElement().asString()
                .contains("no Flink filesystem for scheme 's3'").contains("flink-s3-fs-presto");
    }

    @Test
    void anUnsupportedStoreSchemeOrAMissingStoreConfigIsAUsageError() {
        assertUsageError(CliRun.of("models", "list", "--store", "hdfs://namenode/models"),
                "--store: model store hdfs://namenode/models: scheme 'hdfs' is not supported");
        assertUsageError(CliRun.of("models", "list", "--store", dir.toString(), "--store-config",
                dir.resolve("s3.properties").toString()), "--store-config: cannot read");
    }

    private static void assertUsageError(CliRun run, String message) {
        assertThat(run.exitCode()).as(run.err()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains(message);
        assertThat(run.out()).isEmpty();
    }

    private static String[] args(String command, String... more) {
        List<String> args = new ArrayList<>(List.of(command.split(" ")));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }
}
