package dev.streaminglstm.cli;

import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code streaming-lstm eval}: the bits per byte of a stored model version on a text file, read as one document.
 * The last line on stdout is {@code bpc=X tokens=N version=V}.
 */
@Command(name = "eval", sortOptions = false,
        description = {
            "Score a stored model version on a file: the mean of -log2 p(byte | everything before it), the file "
                    + "read as one document after <start>, window by window with the state carried on.",
            "Shows progress on stderr; the last line on stdout is bpc=X tokens=N version=V."})
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    // not mixinStandardHelpOptions: its --version would clash with the model's --version
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(paramLabel = "FILE", description = "The text to score (its bytes, any encoding).")
    Path file;

    @Option(names = "--version", paramLabel = "N",
            description = "Model version. Default: the one readers serve (pinned, else LATEST).")
    Long version;

    @Option(names = "--window", paramLabel = "T", defaultValue = "256",
            description = "Bytes scored per forward pass, 1..65536; the result does not depend on it. "
                    + "Default: ${DEFAULT-VALUE}.")
    int window;

    @Option(names = "--max-bytes", paramLabel = "N",
            description = "Score only the first N bytes of FILE. Default: all of it.")
    Integer maxBytes;

    @Override
    public Integer call() throws Exception {
        FlagChecks.range(spec, "--window", window, 1, 65_536);
        if (maxBytes != null && maxBytes < 1) {
            throw usage("--max-bytes: must be at least 1, was " + maxBytes);
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw usage(file + ": not a readable file");
        }
        byte[] bytes = read();
        if (bytes.length == 0) {
            throw usage(file + ": is empty, nothing to score");
        }
        ServableModel loaded = ModelLoading.load(store.open(), version);
        if (loaded.config().conditioned()) {
            throw new IllegalStateException("model version " + loaded.version() + " reads a conditioning vector of "
                    + loaded.config().conditioningSize() + " values with its text; eval scores plain text");
        }
        int[] tokens = ByteVocabulary.startThenBytes(bytes);
        AtomicLong scored = new AtomicLong();
        double bpc;
        try (Progress progress = Progress.start(spec.commandLine().getErr(), "eval v" + loaded.version(),
                bytes.length, scored::get, Progress.Unit.TOKENS)) {
            bpc = loaded.bitsPerToken(tokens, window, scored::set);
            progress.finish();
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "bpc=%.4f tokens=%d version=%d%n", bpc, bytes.length, loaded.version());
        out.flush();
        return 0;
    }

    private byte[] read() throws IOException {
        if (maxBytes == null) {
            return Files.readAllBytes(file);
        }
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(maxBytes);
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
