package dev.streaminglstm.sandbox;

import dev.streaminglstm.sandbox.SandboxStatus.PublishedVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * How a sandbox run went, for a person ({@link #report()}) and for scripts ({@link #keyValues()}, the report's last
 * line).
 *
 * @param elapsed     how long the producer ran
 * @param streams     concurrent input streams
 * @param bytesSent   UTF-8 bytes of text sent to the job
 * @param tokens      tokens the newest published model version was trained on
 * @param version     newest published model version, 0 if none was published
 * @param bpc         recent training loss of the newest version in bits per token, empty if none
 * @param firstBpc    training loss of the first version this run published, empty if none
 * @param predictions distinct predictions made by a model
 * @param noModel     distinct predictions made before the first model version
 * @param deadLetters records the job rejected
 * @param surprise    mean surprise of the last predictions, in bits, empty if none
 * @param firstSurprise mean surprise of the run's first predictions, in bits, empty if too few predictions
 * @param runDir      the folder of this run's model store, checkpoints and log
 * @param prequential every token of the predictions scored before the served model saw it
 * @param trainingPrequentialBpc training loss of every token trained into the newest version, each before its step
 *     (the learner's own prequential code length), empty if none
 */
public record SandboxSummary(
        Duration elapsed,
        int streams,
        long bytesSent,
        long tokens,
        long version,
        Optional<Double> bpc,
        Optional<Double> firstBpc,
        long predictions,
        long noModel,
        long deadLetters,
        Optional<Double> surprise,
        Optional<Double> firstSurprise,
        Path runDir,
        Prequential.Snapshot prequential,
        Optional<Double> trainingPrequentialBpc) {

    /** The summary of a run whose last status was {@code last}. */
    static SandboxSummary of(SandboxStatus last, Path runDir) {
        Optional<PublishedVersion> newest = last.newest();
        return new SandboxSummary(last.elapsed(), last.streams(), last.bytesSent(), last.tokensTrained(),
                newest.map(PublishedVersion::version).orElse(0L), newest.flatMap(PublishedVersion::lossBpc),
                last.firstWithLoss().flatMap(PublishedVersion::lossBpc), last.predictions(), last.noModel(),
                last.deadLetters(), last.recentSurprise(), last.firstSurprise(), runDir, last.prequential(),
                newest.flatMap(PublishedVersion::trainingPrequentialBpc));
    }

    /** Tokens trained per second of the run. */
    public double tokensPerSecond() {
        double seconds = elapsed.toMillis() / 1000.0;
        return seconds <= 0 ? 0 : tokens / seconds;
    }

    /**
     * One line of {@code key=value} pairs, always in this order: {@code tokens streams version bpc predictions
     * dead_letters first_bpc no_model bytes seconds tokens_per_s surprise first_surprise prequential_bpc
     * recent_prequential_bpc prequential_tokens training_prequential_bpc}. A figure that is not known is {@code nan}.
     */
    public String keyValues() {
        return String.format(Locale.ROOT,
                "tokens=%d streams=%d version=%d bpc=%s predictions=%d dead_letters=%d first_bpc=%s no_model=%d "
                        + "bytes=%d seconds=%d tokens_per_s=%.0f surprise=%s first_surprise=%s prequential_bpc=%s "
                        + "recent_prequential_bpc=%s prequential_tokens=%d training_prequential_bpc=%s",
                tokens, streams, version, number(bpc), predictions, deadLetters, number(firstBpc), noModel,
                bytesSent, elapsed.toSeconds(), tokensPerSecond(), number(surprise), number(firstSurprise),
                number(prequential.bpc()), number(prequential.recent()), prequential.tokens(),
                number(trainingPrequentialBpc));
    }

    /** A few lines for a person, ending with {@link #keyValues()}. */
    public String report() {
        String nl = System.lineSeparator();
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "sandbox summary after %s: %,d bytes of text on %d streams%n",
                LiveView.clock(elapsed), bytesSent, streams));
        if (version == 0) {
            out.append("  no model version was published; run longer (versions come at checkpoints)").append(nl);
        } else {
            out.append(String.format(Locale.ROOT, "  model v%d trained on %,d tokens (%.0f tokens/s)%n", version,
                    tokens, tokensPerSecond()));
            out.append("  training loss ")
                    .append(firstBpc.map(b -> number(Optional.of(b)) + " bpc at the first version, ").orElse(""))
                    .append(number(bpc)).append(" bpc now")
                    .append(trainingPrequentialBpc.map(all -> ", " + number(Optional.of(all)) + " over every token "
                            + "trained, each before its step").orElse(""))
                    .append(nl);
        }
        out.append(String.format(Locale.ROOT, "  %,d predictions (%,d before the first model), %,d dead letters%n",
                predictions, noModel, deadLetters));
        surprise.ifPresent(now -> out.append("  surprise at the next chunk's first byte ")
                .append(firstSurprise.map(first -> number(Optional.of(first)) + " bits in the first predictions, ")
                        .orElse("")).append(number(surprise)).append(" bits in the last ones").append(nl));
        prequential.bpc().ifPresent(all -> out.append(String.format(Locale.ROOT,
                "  prequential %s bpc over %,d tokens, each scored before the served model saw it (first %,d: %s, "
                        + "last %,d: %s)%n", number(Optional.of(all)), prequential.tokens(), Prequential.WINDOW_TOKENS,
                number(prequential.first()), Prequential.WINDOW_TOKENS, number(prequential.recent()))));
        out.append("  model store, checkpoints and log: ").append(runDir).append(nl);
        out.append(keyValues());
        return out.toString();
    }

    private static String number(Optional<Double> value) {
        return value.filter(Double::isFinite).map(v -> String.format(Locale.ROOT, "%.2f", v)).orElse("nan");
    }
}
