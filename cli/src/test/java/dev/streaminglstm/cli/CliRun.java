package dev.streaminglstm.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/**
 * One run of the command line in this JVM, through {@link StreamingLstmCli#run(PrintWriter, PrintWriter, String...)},
 * with what it wrote to stdout and stderr.
 *
 * @param exitCode the exit code
 * @param out      everything written to stdout
 * @param err      everything written to stderr
 */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = StreamingLstmCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    /** The lines of stdout. */
    List<String> outLines() {
        return out.lines().toList();
    }

    /** The last line of stdout, or "" if there is none. */
    String lastLine() {
        List<String> lines = outLines();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** The lines of stderr. */
    List<String> errLines() {
        return err.lines().toList();
    }
}
