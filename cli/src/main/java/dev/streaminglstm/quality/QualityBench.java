package dev.streaminglstm.quality;

import dev.streaminglstm.bench.RunFolders;
import dev.streaminglstm.core.kernel.BundledOpenBlas;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.optim.LearningRateSchedule;
import dev.streaminglstm.core.optim.OptimizerConfig;
import dev.streaminglstm.core.optim.OptimizerKind;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.job.versions.Manifests;
import dev.streaminglstm.sandbox.Prequential;
import dev.streaminglstm.sandbox.Sandbox;
import dev.streaminglstm.sandbox.SandboxEndpoints;
import dev.streaminglstm.sandbox.SandboxLogging;
import dev.streaminglstm.sandbox.SandboxSettings;
import dev.streaminglstm.sandbox.ThreadCores;
import dev.streaminglstm.sandbox.TrainingFirst;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import dev.streaminglstm.schema.ModelManifest;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * {@code bench quality}: how much the model learns from a text as it streams through the pipeline, against the same
 * model trained without the pipeline, offline in the classic set-up, in PyTorch, and an online learner, all on the
 * same text in one run. Prints a table of held-out bits per byte against tokens trained, then the prequential and
 * speed figures, then one line of {@code key=value} pairs.
 */
public final class QualityBench {

    /**
     * What to run.
     *
     * @param train the training text, replayed as {@code streams} concurrent streams (documents cut by {@code split})
     * @param heldout the held-out text, scored as {@code eval} scores a file
     * @param maxBytes the training text is cut to at most this many bytes; 0: all of it
     * @param points held-out evaluations per learner, spread over the pipeline's run
     * @param jobFlags the job's flags (shape, optimiser, window, batch...), for the pipeline and learners (b)-(d)
     * @param peer auto, torch (require it) or none
     * @param online learner (e), or empty to leave it out
     * @param learners which of the learners b, c, d and e run beside the pipeline (d and e also need peer and online)
     * @param keep keep the run folder (store, checkpoints, broker log) under {@code workDir}; else it is deleted
     *     once the run succeeded (a failed run's is always kept)
     * @param chunkBytes largest chunk of text per input record of the pipeline; 0: the window (at least 4)
     * @param earlyCheckpoints the pipeline's {@link SandboxSettings#earlyCheckpoints()}
     * @param trainingFirst the pipeline's {@link SandboxSettings#trainingFirst()}
     */
    public record Settings(Path train, Path heldout, Corpus.Split split, int streams, int passes, long maxBytes,
            int points, List<String> jobFlags, Path workDir, String peer, String python, Optional<Online> online,
            Set<Character> learners, boolean keep, int chunkBytes, Duration earlyCheckpoints,
            boolean trainingFirst) {}

    /**
     * The online learner: one stream, plain SGD, an update every {@code window} bytes.
     */
    public record Online(int embed, int hidden, int layers, int window, double learningRate, double clipNorm,
            long maxBytes) {
        ModelConfig model() {
            return new ModelConfig(ByteVocabulary.SIZE, embed, hidden, layers, CellType.LSTM, 0);
        }
    }

    private QualityBench() {}

    /**
     * Where the steady training speed starts, after the first version: in a one-pass run the JIT took a fifth to a
     * half of a core through the first minute (JFR, 2026-12-05), which a run of a minute or two counts in.
     */
    static final Duration STEADY_AFTER = Duration.ofSeconds(30);

    /** Job flags whose benchmark default differs from the job's, unless given: the shape, every version kept. */
    static final List<String> JOB_DEFAULTS = List.of("--embed", "64", "--hidden", "256", "--keep-versions", "100000");

    /** Runs every learner and prints the report to {@code out}, progress to {@code log}. */
    public static void run(Settings s, PrintWriter out, PrintWriter log) throws Exception {
        Files.createDirectories(s.workDir());
        Path dir = Files.createTempDirectory(s.workDir(), "quality-");
        try {
            run(s, dir, out, log);
        } catch (Exception | Error e) {
            log.println("run folder kept for the failure (its bench.log says more): " + dir);
            throw e;
        }
        if (s.keep()) {
            log.println("run folder kept: " + dir);
        } else {
            RunFolders.delete(dir);
        }
    }

    private static void run(Settings s, Path dir, PrintWriter out, PrintWriter log) throws Exception {
        SandboxLogging.toFile(dir.resolve("bench.log"));
        byte[] text = cut(Files.readAllBytes(s.train()), s.maxBytes());
        Path trainFile = Files.write(dir.resolve("train.txt"), text);
        HeldOut heldOut = new HeldOut(Files.readAllBytes(s.heldout()));
        List<String> flags = withDefaults(s.jobFlags());
        int chunkBytes = s.chunkBytes() > 0 ? s.chunkBytes() : SandboxSettings.chunkBytesOfWindow(window(flags));
        SandboxSettings sandbox = new SandboxSettings(Corpus.file(trainFile, s.split()), s.streams(), chunkBytes,
                RateLimit.unlimited(), Optional.empty(), dir, flags, Duration.ofSeconds(2), s.passes(),
                SandboxEndpoints.freePorts(), s.earlyCheckpoints(), s.trainingFirst());
        JobConfig config = Sandbox.jobConfig(sandbox, "localhost:9092", dir.toUri().toString());
        ModelConfig model = config.model().config();
        OptimizerConfig optimizer = config.optimizer().config();
        int batch = config.training().batch();
        int window = config.training().window();
        out.printf(Locale.ROOT, "quality: %s (%,d bytes, %d pass%s) as %d streams; held-out %s (%,d bytes)%n",
                s.train(), text.length, s.passes(), s.passes() == 1 ? "" : "es", s.streams(), s.heldout(),
                heldOut.bytes());
        out.printf(Locale.ROOT, "model: LSTM embed %d, hidden %d x %d; %s lr %s, clip %s%s; window %d, batch %d; "
                + "job flags %s%n", model.embedSize(), model.hiddenSize(), model.layers(), optimizer.kind(),
                optimizer.learningRate(), optimizer.clipNorm(), optimizer.kind() == OptimizerKind.ADAM
                        ? ", betas " + optimizer.beta1() + " " + optimizer.beta2() : "",
                window, batch, String.join(" ", flags));
        out.println(BundledOpenBlas.describe());

        log.println("(a) the pipeline: broker, job on a MiniCluster, producer at full speed"
                + (s.trainingFirst() ? ", " + TrainingFirst.DESCRIPTION : ""));
        PipelineRun.Result pipeline = PipelineRun.run(sandbox, log);
        List<ModelManifest> chosen = pipeline.spread(s.points());
        long[] points = chosen.stream().mapToLong(ModelManifest::getTokensTrained).toArray();
        log.println("(a) held-out scores of versions " + chosen.stream().map(v -> "v" + v.getVersion()).toList());
        List<Curve> curves = new ArrayList<>();
        Curve a = PipelineRun.curve(pipeline, chosen, heldOut);
        curves.add(a);
        done(log, a);

        ModelManifest last = chosen.get(chosen.size() - 1);
        Optional<Curve> b = Optional.empty();
        OptionalDouble replayGap = OptionalDouble.empty();
        OptionalDouble replayLossGap = OptionalDouble.empty();
        if (s.learners().contains('b')) {
            log.println("(b) the same windows in the same order, lstm-core alone");
            SameOrderReplay.Result replay = SameOrderReplay.run(config,
                    SameOrderReplay.events(Corpus.file(trainFile, s.split()), s.streams(), sandbox.chunkBytes(),
                            s.passes()), points, heldOut,
                    pipeline.versions().stream().mapToLong(ModelManifest::getWindowsTrained).toArray(),
                    last.getWindowsTrained());
            b = Optional.of(replay.curve());
            if (replay.globalAtWindows().isPresent()) {
                replayGap = OptionalDouble.of(maxAbsDifference(replay.globalAtWindows().get(),
                        pipeline.load(last).parameters()));
                replayLossGap = OptionalDouble.of(Math.abs(replay.trainedLossAtWindows().orElseThrow().bpc()
                        - Manifests.trainedLoss(last).bpc()));
            }
        }
        b.ifPresent(curves::add);
        b.ifPresent(curve -> done(log, curve));

        Optional<Curve> c = Optional.empty();
        if (s.learners().contains('c')) {
            log.println("(c) the text cut into " + batch + " contiguous streams, lstm-core alone");
            c = Optional.of(ContiguousTraining.run("contiguous", config.model().kernel().create(model), optimizer,
                    config.training().schedule(), config.seed(), text, batch, window, s.passes(), points, heldOut));
        }
        c.ifPresent(curves::add);
        c.ifPresent(curve -> done(log, curve));

        Optional<Curve> torch = s.learners().contains('d')
                ? torch(s, model, optimizer, config.seed(), text, batch, window, points, heldOut, dir, log)
                : Optional.empty();
        torch.ifPresent(curves::add);
        torch.ifPresent(curve -> done(log, curve));

        Optional<Curve> online = Optional.empty();
        if (s.online().isPresent() && s.learners().contains('e')) {
            Online o = s.online().get();
            byte[] onlineText = cut(text, o.maxBytes());
            log.println("(e) an online learner: one stream, " + o.layers() + " layers of " + o.hidden()
                    + ", plain SGD, an update every " + o.window() + " bytes, on " + onlineText.length + " bytes");
            online = Optional.of(ContiguousTraining.run("online", Kernel.FAST.create(o.model()),
                    OptimizerConfig.sgd(o.learningRate(), o.clipNorm()), LearningRateSchedule.CONSTANT, config.seed(),
                    onlineText, 1, o.window(), s.passes(), points, heldOut));
            curves.add(online.get());
            done(log, online.get());
        }
        report(out, pipeline, curves, b, c, torch, online, replayGap, replayLossGap, last);
    }

    private static Optional<Curve> torch(Settings s, ModelConfig model, OptimizerConfig optimizer, long seed,
            byte[] text, int batch, int window, long[] points, HeldOut heldOut, Path dir, PrintWriter log)
            throws Exception {
        if (s.peer().equals("none")) {
            return Optional.empty();
        }
        TorchPeer peer = new TorchPeer(s.python());
        Optional<String> why = peer.unavailableReason();
        if (why.isPresent()) {
            if (s.peer().equals("torch")) {
                throw new IllegalStateException(why.get());
            }
            log.println("(d) PyTorch peer skipped: " + why.get());
            return Optional.empty();
        }
        log.println("(d) PyTorch nn.LSTM, the same contiguous streams (OpenBLAS 2 threads, torch 1)");
        return Optional.of(peer.run(model, optimizer, seed, text, batch, window, s.passes(), points, heldOut, dir));
    }

    private static void report(PrintWriter out, PipelineRun.Result pipeline, List<Curve> curves, Optional<Curve> b,
            Optional<Curve> c, Optional<Curve> torch, Optional<Curve> online, OptionalDouble replayGap,
            OptionalDouble replayLossGap, ModelManifest last) {
        Curve a = curves.get(0);
        out.println();
        out.println("held-out bits per byte against tokens trained (each learner within one step of the count):");
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%12s", "tokens"));
        curves.forEach(curve -> head.append(String.format(Locale.ROOT, "%13s", curve.name())));
        out.println(head);
        for (int i = 0; i < a.points().size(); i++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%,12d", a.points().get(i).tokens()));
            for (Curve curve : curves) {
                row.append(String.format(Locale.ROOT, "%13s", i < curve.points().size()
                        ? String.format(Locale.ROOT, "%.4f", curve.points().get(i).heldoutBpc()) : "-"));
            }
            out.println(row);
        }
        StringBuilder rates = new StringBuilder(String.format(Locale.ROOT, "%12s", "tokens/s"));
        curves.forEach(curve -> rates.append(String.format(Locale.ROOT, "%,13.0f", curve.tokensPerSecond())));
        out.println(rates);
        out.println();
        double prequential = a.prequentialBpc().orElse(Double.NaN);
        var summary = pipeline.summary();
        out.printf(Locale.ROOT, "pipeline: prequential %.4f bpc over %,d tokens (%.1f%% of the bytes sent) scored by the "
                        + "served model before it saw them; %,d predictions (%,d before the first version); last "
                        + "version v%d%n", prequential, summary.prequential().tokens(), 100.0 * scored(pipeline),
                summary.predictions(), summary.noModel(), last.getVersion());
        Prequential.Snapshot served = summary.prequential();
        double everyByte = everyByte(served.bits(), served.tokens(), summary.bytesSent());
        double draftShare = served.tokens() == 0 ? 0 : (double) served.draftTokens() / served.tokens();
        if (served.draftTokens() > 0) {
            out.printf(Locale.ROOT, "pipeline: %.1f%% of those tokens scored by drafts (the merger's weights between "
                    + "checkpoints, --draft-interval-ms), the rest by stored versions%n", 100.0 * draftShare);
        }
        out.printf(Locale.ROOT, "pipeline: %.4f bpc over every byte sent, the bytes before the first version at 8 bits "
                + "each (what an online compressor without a model yet would pay): the figure to set against an online "
                + "learner, which scores every byte%n", everyByte);
        TrainedLoss learner = Manifests.trainedLoss(last);
        double learnerEveryByte = everyByte(learner.nats() / Math.log(2), learner.tokens(), summary.bytesSent());
        out.printf(Locale.ROOT, "pipeline's learner: %.4f bpc over the %,d tokens trained into v%d, each batch "
                        + "scored by the training model before its step (an online learner's own measure, as (e)'s); "
                        + "%.4f over every byte sent, 8 bits for each byte not trained in. The served predictions above "
                        + "also pay for being served late: a checkpoint late, or a draft interval with drafts%n",
                learner.bpc(), learner.tokens(), last.getVersion(), learnerEveryByte);
        double steady = pipeline.steadyTokensPerSecond(STEADY_AFTER);
        out.printf(Locale.ROOT, "pipeline: %,.0f tokens/s from the first version to the last, %,.0f from %d s after the "
                + "first version on (past most of the JIT's warm-up)%n", a.tokensPerSecond(), steady,
                STEADY_AFTER.toSeconds());
        pipeline.cores().ifPresent(cores -> out.printf(Locale.ROOT, "pipeline: cores by thread from the first version "
                + "to the end: %s; %.2f of %d%n", cores.describe(), cores.total(),
                Runtime.getRuntime().availableProcessors()));
        b.ifPresent(x -> out.printf(Locale.ROOT, "pipeline / same order (b) at the last point: %+.2f%%%n",
                percent(a.lastBpc(), x.lastBpc())));
        c.ifPresent(x -> out.printf(Locale.ROOT, "pipeline / contiguous (c) at the last point: %+.2f%%%n",
                percent(a.lastBpc(), x.lastBpc())));
        torch.ifPresent(t -> out.printf(Locale.ROOT, "pipeline / PyTorch (d): %+.2f%%; contiguous (c) / PyTorch: "
                + "%+.2f%%%n", percent(a.lastBpc(), t.lastBpc()),
                percent(c.map(Curve::lastBpc).orElse(Double.NaN), t.lastBpc())));
        online.ifPresent(o -> out.printf(Locale.ROOT, "online learner (e): prequential %.4f bpc at %,.0f tokens/s; "
                        + "pipeline prequential %+.2f%% against it, pipeline training %.2fx as fast (%.2fx from %d s "
                        + "on)%n", o.prequentialBpc().orElse(Double.NaN), o.tokensPerSecond(),
                percent(prequential, o.prequentialBpc().orElse(Double.NaN)), a.tokensPerSecond() / o.tokensPerSecond(),
                steady / o.tokensPerSecond(), STEADY_AFTER.toSeconds()));
        online.ifPresent(o -> out.printf(Locale.ROOT, "against the online learner (e), over every byte: the pipeline's "
                        + "learner %+.2f%%, its served predictions %+.2f%%%n",
                percent(learnerEveryByte, o.prequentialBpc().orElse(Double.NaN)),
                percent(everyByte, o.prequentialBpc().orElse(Double.NaN))));
        out.println(b.isEmpty() ? "replay (b): not run" : replayGap.isPresent()
                ? String.format(Locale.ROOT, "replay (b): its deltas added up to the %,d windows of v%d differ from "
                        + "that version's parameters by at most %.3g, their training loss from the version's by %.3g "
                        + "bpc", last.getWindowsTrained(), last.getVersion(), replayGap.getAsDouble(),
                        replayLossGap.orElse(Double.NaN))
                : "replay (b): not compared with the pipeline (its deltas never summed to exactly the last version's "
                        + "windows: the pipeline's batches depend on timing unless --flush-ms 0 "
                        + "--flush-on-checkpoint=false)");
        out.println(String.join(" ", List.of(
                "prequential_bpc=" + number(prequential),
                "heldout_bpc=" + number(a.lastBpc()),
                "offline_same_order_bpc=" + number(b.map(Curve::lastBpc).orElse(Double.NaN)),
                "offline_contiguous_bpc=" + number(c.map(Curve::lastBpc).orElse(Double.NaN)),
                "pytorch_bpc=" + number(torch.map(Curve::lastBpc).orElse(Double.NaN)),
                "online_prequential_bpc=" + number(online.map(o -> o.prequentialBpc().orElse(Double.NaN))
                        .orElse(Double.NaN)),
                "online_heldout_bpc=" + number(online.map(Curve::lastBpc).orElse(Double.NaN)),
                "tokens=" + a.lastTokens(),
                "tokens_per_s=" + String.format(Locale.ROOT, "%.0f", a.tokensPerSecond()),
                "online_tokens_per_s=" + String.format(Locale.ROOT, "%.0f",
                        online.map(Curve::tokensPerSecond).orElse(Double.NaN)),
                "pytorch_tokens_per_s=" + String.format(Locale.ROOT, "%.0f",
                        torch.map(Curve::tokensPerSecond).orElse(Double.NaN)),
                "replay_max_abs_diff=" + small(replayGap),
                "prequential_scored=" + String.format(Locale.ROOT, "%.3f", scored(pipeline)),
                "prequential_every_byte_bpc=" + number(everyByte),
                "training_prequential_bpc=" + number(learner.bpc()),
                "training_prequential_every_byte_bpc=" + number(learnerEveryByte),
                "replay_training_loss_diff=" + small(replayLossGap),
                "steady_tokens_per_s=" + String.format(Locale.ROOT, "%.0f", steady),
                "draft_scored_share=" + String.format(Locale.ROOT, "%.3f", draftShare),
                pipeline.cores().map(ThreadCores::keyValues).orElse(ThreadCores.UNKNOWN))));
        out.flush();
    }

    /** Four decimals, or nan for a figure not known. */
    private static String number(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.4f", value) : "nan";
    }

    /**
     * Tokens the served model scored over bytes sent. A stream is one open document (no {@code <end>}), so each byte
     * is scored at most once; the last version is trained on fewer tokens than were sent (the last windows), so it
     * is not the denominator.
     */
    private static double scored(PipelineRun.Result pipeline) {
        return (double) pipeline.summary().prequential().tokens() / pipeline.summary().bytesSent();
    }

    /** Three significant digits, for a difference that should be 0; nan for one not measured. */
    private static String small(OptionalDouble value) {
        return value.isPresent() ? String.format(Locale.ROOT, "%.3g", value.getAsDouble()) : "nan";
    }

    /**
     * Bits per byte over every byte sent: the {@code bits} of the {@code scored} bytes, and 8 bits for each byte
     * not scored (before the first version, for the served predictions; not trained in, for the learner).
     */
    private static double everyByte(double bits, long scored, long bytesSent) {
        long unscored = Math.max(0, bytesSent - scored);
        return (bits + 8.0 * unscored) / bytesSent;
    }

    /** A learner's figures as soon as it is done, for long runs. */
    private static void done(PrintWriter log, Curve curve) {
        StringBuilder line = new StringBuilder(curve.name() + ": held-out");
        curve.points().forEach(p -> line.append(String.format(Locale.ROOT, " %.4f at %,d tokens;", p.heldoutBpc(),
                p.tokens())));
        line.append(String.format(Locale.ROOT, " %,.0f tokens/s", curve.tokensPerSecond()));
        curve.prequentialBpc().ifPresent(p -> line.append(String.format(Locale.ROOT, "; prequential %.4f", p)));
        log.println(line);
        log.flush();
    }

    private static double percent(double value, double peer) {
        return 100 * (value / peer - 1);
    }

    /** The largest difference between two parameter sets of one shape. */
    static double maxAbsDifference(ParameterSet x, ParameterSet y) {
        float[] a = x.toFlatFloats();
        float[] b = y.toFlatFloats();
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** The job flags with the benchmark's defaults for those not given. */
    static List<String> withDefaults(List<String> given) {
        List<String> flags = new ArrayList<>();
        for (int i = 0; i < JOB_DEFAULTS.size(); i += 2) {
            String flag = JOB_DEFAULTS.get(i);
            if (given.stream().noneMatch(f -> f.equals(flag) || f.startsWith(flag + "="))) {
                flags.addAll(List.of(flag, JOB_DEFAULTS.get(i + 1)));
            }
        }
        flags.addAll(given);
        return flags;
    }

    private static int window(List<String> flags) {
        return JobConfig.parse(concat(flags)).training().window();
    }

    private static String[] concat(List<String> flags) {
        List<String> all = new ArrayList<>(List.of("--bootstrap-servers", "localhost:9092", "--store", "file:///x"));
        all.addAll(flags);
        return all.toArray(String[]::new);
    }

    /** The first {@code maxBytes} of {@code text} (0: all of it), not cutting a UTF-8 character. */
    static byte[] cut(byte[] text, long maxBytes) {
        if (maxBytes <= 0 || maxBytes >= text.length) {
            return text;
        }
        int end = (int) maxBytes;
        while (end > 0 && (text[end] & 0xC0) == 0x80) {
            end--;
        }
        return Arrays.copyOf(text, end);
    }
}
