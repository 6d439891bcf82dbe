package dev.streaminglstm.bench;

import picocli.CommandLine;

/** Checks of a benchmark's flags: a bad value is a usage error (exit code 2) naming the flag. */
public final class Bench {
    private Bench() {}

    public static void atLeast(CommandLine.Model.CommandSpec spec, String flag, long value, long least) {
        if (value < least) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    flag + " must be at least " + least + ", was " + value);
        }
    }
}
