package dev.streaminglstm.cli;

import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.infer.TokenSampler;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.core.vocab.Utf8StreamDecoder;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code streaming-lstm sample}: generates text from a stored model version, byte by byte, printing it as it
 * comes: the prompt, then the continuation.
 */
@Command(name = "sample", sortOptions = false,
        description = {
            "Generate text with a stored model version: it reads <start> and the prompt, then draws LENGTH bytes "
                    + "one at a time (stopping early at <end>) and prints the prompt and what follows.",
            "The version, shape and seed go to stderr, so that a run can be repeated."})
final class SampleCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions store;

    // not mixinStandardHelpOptions: its --version would clash with the model's --version
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Option(names = "--version", paramLabel = "N",
            description = "Model version. Default: the one readers serve (pinned, else LATEST).")
    Long version;

    @Option(names = "--prompt", paramLabel = "TEXT", defaultValue = "",
            description = "Text the model reads first. Default: none.")
    String prompt;

    @Option(names = "--length", paramLabel = "BYTES", defaultValue = "200",
            description = "Bytes to generate, 1..1000000. Default: ${DEFAULT-VALUE}.")
    int length;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "0.8",
            description = "Sharpness of the draw: 0 always takes the most likely byte, 1 samples the model's "
                    + "distribution, higher is wilder. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-k", paramLabel = "K", defaultValue = "0",
            description = "Draw only among the K most likely tokens; 0 for all. Default: ${DEFAULT-VALUE}.")
    int topK;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the draws. Default: a random one.")
    Long seed;

    @Override
    public Integer call() throws Exception {
        FlagChecks.range(spec, "--length", length, 1, 1_000_000);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw usage("--temperature: must be 0 or above, was " + temperature);
        }
        FlagChecks.range(spec, "--top-k", topK, 0, ByteVocabulary.SIZE);
        long drawSeed = seed != null ? seed : new Random().nextLong();
        ServableModel loaded = ModelLoading.load(store.open(), version);
        ModelConfig config = loaded.config();
        PrintWriter err = spec.commandLine().getErr();
        err.printf(Locale.ROOT, "sample: version %d (%s), temperature %s, top-k %s, seed %d%n", loaded.version(),
                loaded.describe(), temperature, topK == 0 ? "all" : Integer.toString(topK), drawSeed);
        if (config.conditioned()) {
            err.println("sample: this version expects a conditioning vector of " + config.conditioningSize()
                    + " values; sampling with all zeros");
        }
        err.flush();

        InferenceSession session = loaded.session(config.conditioned() ? new float[config.conditioningSize()] : null);
        int[] promptTokens = ByteVocabulary.encode(prompt);
        int[] input = new int[promptTokens.length + 1];
        input[0] = ByteVocabulary.START;
        System.arraycopy(promptTokens, 0, input, 1, promptTokens.length);
        float[] next = session.feed(input);

        PrintWriter out = spec.commandLine().getOut();
        out.print(prompt);
        Random random = new Random(drawSeed);
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int token = TokenSampler.sample(next, temperature, topK, random);
            if (token == ByteVocabulary.END) {
                break;
            }
            decoder.feed(token, text);
            if (!text.isEmpty()) {
                out.print(text);
                out.flush();
                text.setLength(0);
            }
            if (i + 1 < length) {
                next = session.step(token);
            }
        }
        out.println(decoder.finish());
        out.flush();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
