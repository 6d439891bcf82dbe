package dev.streaminglstm.cli;

import dev.streaminglstm.core.infer.DynamicEvaluation;
import dev.streaminglstm.core.infer.DynamicEvaluation.Method;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.sandbox.corpus.Corpus;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code streaming-lstm bench adaptation}: {@link DynamicEvaluation} of a stored version on documents of a text, each
 * method at each rate, against the version as it is.
 */
@Command(name = "adaptation", sortOptions = false,
        description = {
            "Dynamic evaluation of a stored model version: the prequential bits per byte of documents of --text when "
                    + "the model also adapts to each document as it reads it (every byte scored before anything "
                    + "learns from it; the adaptation reset with the document, as a stream's would be), against the "
                    + "version as it is. Methods: none; head (a per-document correction of the softmax layer, one SGD "
                    + "step per --head-window bytes); full (a per-document copy of every weight, one SGD step per --window "
                    + "bytes). One thread, one document at a time: the speeds compare the methods, not the pipeline.",
            "Prints a row per method and rate, and last none_bpc, head_bpc, head_rate, full_bpc, full_rate (the "
                    + "best rate of each), their tokens_per_s, tokens and version as key=value pairs.", ""})
final class AdaptationCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    // not mixinStandardHelpOptions: its --version would clash with the model's --version
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--text", paramLabel = "FILE", required = true, description = "The documents (UTF-8).")
    Path text;

    @Option(names = "--split", paramLabel = "lines|paragraphs", defaultValue = "paragraphs",
            converter = ProduceCommand.SplitConverter.class,
            description = "How --text is cut into documents. Default: paragraphs.")
    Corpus.Split split;

    @Option(names = "--skip", paramLabel = "N", defaultValue = "0",
            description = "Documents skipped first, e.g. those the version trained on. Default: ${DEFAULT-VALUE}.")
    int skip;

    @Option(names = "--documents", paramLabel = "N", defaultValue = "20",
            description = "Documents scored after them, 1..100000. Default: ${DEFAULT-VALUE}.")
    int documents;

    @Option(names = "--version", paramLabel = "N",
            description = "Model version. Default: the one readers serve (pinned, else LATEST).")
    Long version;

    @Option(names = "--window", paramLabel = "T", defaultValue = "32",
            description = "Bytes per SGD step of full, 1..4096. Default: ${DEFAULT-VALUE}.")
    int window;

    @Option(names = "--head-window", paramLabel = "T", defaultValue = "1",
            description = "Bytes per SGD step of head, 1..4096 (1: after every byte; the inference operator steps "
                    + "once a chunk). Default: ${DEFAULT-VALUE}.")
    int headWindow;

    @Option(names = "--head-units", paramLabel = "N",
            description = "Values of the top layer's output head's correction reads, the first N, 1 to the hidden "
                    + "size (fewer: cheaper). Default: all of them.")
    Integer headUnits;

    @Option(names = "--head-rates", paramLabel = "LIST", defaultValue = "0.003,0.01,0.03",
            description = "SGD step sizes of head, comma-separated; none: skip it. Default: ${DEFAULT-VALUE}.")
    String headRates;

    @Option(names = "--full-rates", paramLabel = "LIST", defaultValue = "0.03,0.1,0.3",
            description = "SGD step sizes of full, comma-separated; none: skip it. Default: ${DEFAULT-VALUE}.")
    String fullRates;

    @Override
    public Integer call() throws Exception {
        if (skip < 0) {
            throw usage("--skip: must be at least 0, was " + skip);
        }
        FlagChecks.range(spec, "--documents", documents, 1, 100_000);
        FlagChecks.range(spec, "--window", window, 1, 4096);
        FlagChecks.range(spec, "--head-window", headWindow, 1, 4096);
        List<Double> head = rates("--head-rates", headRates);
        List<Double> full = rates("--full-rates", fullRates);
        if (!Files.isRegularFile(text) || !Files.isReadable(text)) {
            throw usage("--text: " + text + " is not a readable file");
        }
        List<byte[]> docs = Corpus.file(text, split).documents().skip(skip).limit(documents)
                .map(d -> d.getBytes(StandardCharsets.UTF_8)).toList();
        if (docs.isEmpty()) {
            throw usage("--text: " + text + " has no documents after the first " + skip);
        }
        ServableModel model = ModelLoading.load(store.open(), version);
        int units = headUnits == null ? model.config().hiddenSize() : headUnits;
        if (units < 1 || units > model.config().hiddenSize()) {
            throw usage("--head-units: must be between 1 and the model's hidden size " + model.config().hiddenSize()
                    + ", was " + units);
        }
        if (model.config().conditioned()) {
            throw new IllegalStateException("model version " + model.version() + " reads a conditioning vector with "
                    + "its text; bench adaptation scores plain text");
        }
        PrintWriter out = spec.commandLine().getOut();
        long bytes = docs.stream().mapToLong(d -> d.length).sum();
        out.printf(Locale.ROOT, "model v%d: %s; documents %d..%d of %s (%d of them, %,d bytes, split %s); head's "
                        + "window %d on %d units; full's window %d, clip 5%n", model.version(), model.describe(), skip, skip + docs.size() - 1, text,
                docs.size(), bytes, split.name().toLowerCase(Locale.ROOT), headWindow, units, window);
        out.printf(Locale.ROOT, "%-6s %8s %9s %9s %11s%n", "method", "rate", "bpc", "vs none", "tokens/s");
        out.flush();

        DynamicEvaluation.Result none = DynamicEvaluation.run(model, docs, Method.NONE, 0, window);
        row(out, none, none);
        Optional<DynamicEvaluation.Result> bestHead = best(out, model, docs, Method.HEAD, head, none, units);
        Optional<DynamicEvaluation.Result> bestFull = best(out, model, docs, Method.FULL, full, none, units);

        out.println(String.join(" ", List.of(
                "none_bpc=" + String.format(Locale.ROOT, "%.4f", none.bpc()),
                "head_bpc=" + bestHead.map(r -> String.format(Locale.ROOT, "%.4f", r.bpc())).orElse("nan"),
                "head_rate=" + bestHead.map(r -> String.valueOf(r.rate())).orElse("nan"),
                "full_bpc=" + bestFull.map(r -> String.format(Locale.ROOT, "%.4f", r.bpc())).orElse("nan"),
                "full_rate=" + bestFull.map(r -> String.valueOf(r.rate())).orElse("nan"),
                "none_tokens_per_s=" + String.format(Locale.ROOT, "%.0f", none.tokensPerSecond()),
                "head_tokens_per_s=" + bestHead.map(r -> String.format(Locale.ROOT, "%.0f", r.tokensPerSecond()))
                        .orElse("nan"),
                "full_tokens_per_s=" + bestFull.map(r -> String.format(Locale.ROOT, "%.0f", r.tokensPerSecond()))
                        .orElse("nan"),
                "tokens=" + none.tokens(),
                "version=" + model.version())));
        out.flush();
        return 0;
    }

    /** Runs {@code method} at each rate, a row each; the lowest bpc of them. */
    private Optional<DynamicEvaluation.Result> best(PrintWriter out, ServableModel model, List<byte[]> docs,
            Method method, List<Double> rates, DynamicEvaluation.Result none, int units) {
        List<DynamicEvaluation.Result> results = new ArrayList<>();
        for (double rate : rates) {
            DynamicEvaluation.Result r = DynamicEvaluation.run(model, docs, method, rate,
                    method == Method.HEAD ? headWindow : window, units);
            results.add(r);
            row(out, r, none);
        }
        return results.stream().min(Comparator.comparingDouble(DynamicEvaluation.Result::bpc));
    }

    private static void row(PrintWriter out, DynamicEvaluation.Result r, DynamicEvaluation.Result none) {
        boolean baseline = r.method() == Method.NONE;
        out.printf(Locale.ROOT, "%-6s %8s %9.4f %9s %,11.0f%n", r.method().name().toLowerCase(Locale.ROOT),
                baseline ? "-" : String.valueOf(r.rate()), r.bpc(),
                baseline ? "-" : String.format(Locale.ROOT, "%+.2f%%", 100 * (r.bpc() / none.bpc() - 1)),
                r.tokensPerSecond());
        out.flush();
    }

    private List<Double> rates(String flag, String list) {
        if (list.trim().equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Double> out = new ArrayList<>();
        for (String part : list.split(",")) {
            double rate;
            try {
                rate = Double.parseDouble(part.trim());
            } catch (NumberFormatException e) {
                throw usage(flag + ": '" + part.trim() + "' is not a number (give rates such as 0.01,0.03, or none)");
            }
            if (!(rate > 0 && rate <= 100)) {
                throw usage(flag + ": each rate must be above 0 and at most 100, was " + part.trim());
            }
            out.add(rate);
        }
        return out;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
