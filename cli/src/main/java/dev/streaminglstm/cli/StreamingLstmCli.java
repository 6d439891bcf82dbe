package dev.streaminglstm.cli;

import dev.streaminglstm.sandbox.SandboxLogging;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code streaming-lstm}: the project's one command. Each subcommand has {@code --help}. */
@Command(
        name = "streaming-lstm",
        mixinStandardHelpOptions = true,
        version = "streaming-lstm 0.1.0-SNAPSHOT",
        description = "Train recurrent language models on text streams: Kafka in, Flink training, live predictions out.",
        subcommands = {BenchCommand.class, SandboxCommand.class, ProduceCommand.class, TailCommand.class,
                ModelsCommand.class, SampleCommand.class, EvalCommand.class, ReportCommand.class})
public final class StreamingLstmCli implements Runnable {
    static {
        SandboxLogging.beforeLog4jStarts();
    }

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line on stdout and stderr (UTF-8) and returns its exit code: 0 ok, 1 failure, 2 bad usage. */
    public static int run(String... args) {
        return run(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true),
                new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true), args);
    }

    /**
     * Runs the command line writing to {@code out} and {@code err} and returns its exit code: 0 ok, 1 failure,
     * 2 bad usage. A failure or bad usage is one line on {@code err}.
     */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new StreamingLstmCli());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(cmd.getCommandSpec().qualifiedName() + ": " + oneLine(e));
            return 1;
        });
        cli.setParameterExceptionHandler((e, arguments) -> {
            CommandLine cmd = e.getCommandLine();
            String name = cmd.getCommandSpec().qualifiedName();
            cmd.getErr().println(name + ": " + oneLine(e) + " (see " + name + " --help)");
            return 2;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command");
    }

    static String oneLine(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && (t.getMessage() == null || t instanceof java.lang.reflect.InvocationTargetException)) {
            t = t.getCause();
        }
        String message = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return message.lines().findFirst().orElse(message);
    }
}
