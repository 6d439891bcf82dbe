package dev.streaminglstm.cli;

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
        subcommands = {BenchCommand.class})
public final class StreamingLstmCli implements Runnable {
    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code: 0 ok, 1 failure, 2 bad usage. */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new StreamingLstmCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("streaming-lstm " + cmd.getCommandName() + ": " + oneLine(e));
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command (see --help)");
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
