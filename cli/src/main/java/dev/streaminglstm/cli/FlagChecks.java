package dev.streaminglstm.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** Checks of flag values that the commands share, failing as a usage error (one line, exit 2). */
final class FlagChecks {
    private FlagChecks() {}

    /** {@code flag: must be between MIN and MAX, was VALUE} unless {@code min <= value <= max}. */
    static void range(CommandSpec spec, String flag, long value, long min, long max) {
        if (value < min || value > max) {
            throw new ParameterException(spec.commandLine(), flag + ": must be between " + min + " and " + max
                    + ", was " + value);
        }
    }
}
