package dev.streaminglstm.quality;

import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.sandbox.Prequential;
import dev.streaminglstm.sandbox.ProcThreads;
import dev.streaminglstm.sandbox.Sandbox;
import dev.streaminglstm.sandbox.SandboxSettings;
import dev.streaminglstm.sandbox.SandboxStatus;
import dev.streaminglstm.sandbox.SandboxSummary;
import dev.streaminglstm.sandbox.SandboxView;
import dev.streaminglstm.sandbox.ThreadCores;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Learner (a): the whole pipeline as the sandbox runs it (an in-JVM broker, the job on a MiniCluster, the producer
 * at full speed), over the training text for a number of passes; then its published versions from the store.
 */
final class PipelineRun {

    /**
     * What the pipeline did.
     *
     * @param summary the sandbox's summary (prequential code length of its predictions among it)
     * @param versions the published versions, oldest first
     * @param store the run's model store
     * @param cores where this JVM's cores went from the first version shown to the run's stop, by thread group;
     *     empty where there is no {@code /proc}, or the run stopped before a status showed a version
     */
    record Result(SandboxSummary summary, List<ModelManifest> versions, ModelStore store, Optional<ThreadCores> cores) {

        /** Training tokens per second between the first and the last version published. */
        double tokensPerSecond() {
            return PipelineRun.tokensPerSecond(versions, Duration.ZERO);
        }

        /** Training tokens per second from {@code warmUp} after the first version on. */
        double steadyTokensPerSecond(Duration warmUp) {
            return PipelineRun.tokensPerSecond(versions, warmUp);
        }

        /**
         * Up to {@code count} versions spread over the run: for each of the token counts {@code k/count} of the
         * last version's, the version closest to it; the last version always.
         */
        List<ModelManifest> spread(int count) {
            List<ModelManifest> chosen = new ArrayList<>();
            long total = versions.get(versions.size() - 1).getTokensTrained();
            for (int k = 1; k <= count; k++) {
                long target = total * k / count;
                ModelManifest closest = versions.stream()
                        .min(Comparator.comparingLong(v -> Math.abs(v.getTokensTrained() - target))).orElseThrow();
                if (closest.getTokensTrained() > 0 && !chosen.contains(closest)) {
                    chosen.add(closest);
                }
            }
            return chosen;
        }

        ServableModel load(ModelManifest version) throws Exception {
            return ServableModel.decodeOnFastestKernel(version.getVersion(),
                    store.readVersion(version.getVersion()).parameters());
        }
    }

    private PipelineRun() {}

    /**
     * Training tokens per second from the first of {@code versions} (oldest first) published at least {@code warmUp}
     * after the first one, to the last: with a warm-up, the speed once the JIT has compiled the job's code, which a
     * run of a minute or two otherwise counts in. NaN without two versions to measure between.
     */
    static double tokensPerSecond(List<ModelManifest> versions, Duration warmUp) {
        if (versions.size() < 2) {
            return Double.NaN;
        }
        Instant from = versions.get(0).getCreatedAt().plus(warmUp);
        ModelManifest first = versions.stream().filter(v -> !v.getCreatedAt().isBefore(from)).findFirst().orElse(null);
        ModelManifest last = versions.get(versions.size() - 1);
        if (first == null || first == last) {
            return Double.NaN;
        }
        double seconds = Duration.between(first.getCreatedAt(), last.getCreatedAt()).toMillis() / 1000.0;
        return (last.getTokensTrained() - first.getTokensTrained()) / seconds;
    }

    /** Runs the sandbox's pipeline once over the settings' passes; progress goes to {@code log}. */
    static Result run(SandboxSettings settings, PrintWriter log) throws Exception {
        Progress progress = new Progress(log);
        Sandbox sandbox = new Sandbox(settings, progress);
        log.println("pipeline: run folder " + sandbox.runDir());
        SandboxSummary summary = sandbox.run();
        ModelStore store = ModelStores.open(sandbox.storeUri());
        List<ModelManifest> versions = new ArrayList<>(store.listVersions());
        versions.sort(Comparator.comparingLong(ModelManifest::getVersion));
        if (versions.isEmpty()) {
            throw new IllegalStateException("the pipeline published no model version; give it more text");
        }
        return new Result(summary, versions, store, progress.cores());
    }

    /** The curve of the versions {@code chosen}. */
    static Curve curve(Result result, List<ModelManifest> chosen, HeldOut heldOut) throws Exception {
        List<Curve.Point> points = new ArrayList<>();
        for (ModelManifest v : chosen) {
            points.add(new Curve.Point(v.getTokensTrained(), heldOut.bpc(result.load(v))));
        }
        Prequential.Snapshot p = result.summary().prequential();
        return new Curve("pipeline", points, result.tokensPerSecond(),
                p.bpc().map(OptionalDouble::of).orElse(OptionalDouble.empty()));
    }

    /**
     * A line of the sandbox's figures every 15 s, and its notes; this JVM's threads at each status from the first
     * version on while training runs, and as the run stops (its tasks still running then).
     */
    private static final class Progress implements SandboxView {
        private static final long EVERY_NANOS = 15_000_000_000L;
        private final PrintWriter log;
        private long lastNanos;
        private ThreadCores.Snapshot first;
        private ThreadCores.Snapshot last;

        Progress(PrintWriter log) {
            this.log = log;
        }

        Optional<ThreadCores> cores() {
            if (first == null || last == first) {
                return Optional.empty();
            }
            return Optional.of(ThreadCores.between(first, last, ProcThreads.ticksPerSecond()));
        }

        @Override
        public void show(SandboxStatus s) {
            if (!s.versions().isEmpty()) {
                lookAtThreads();
            }
            long now = System.nanoTime();
            if (now - lastNanos < EVERY_NANOS) {
                return;
            }
            lastNanos = now;
            log.printf(java.util.Locale.ROOT, "pipeline: %ds, %,d bytes sent, %,d predictions, %,d tokens trained, "
                            + "prequential %s bpc%n", s.elapsed().toSeconds(), s.bytesSent(), s.predictions(),
                    s.tokensTrained(), s.prequential().recent().map(b -> String.format("%.3f", b)).orElse("-"));
        }

        @Override
        public void note(String message) {
            log.println("pipeline: " + message);
        }

        @Override
        public void stopping() {
            if (first != null) {
                lookAtThreads();
            }
        }

        /** Keeps a look at this JVM's threads if training is among them (not once the job ended). */
        private void lookAtThreads() {
            ThreadCores.Snapshot now = ThreadCores.Snapshot.now();
            if (now.threads().stream().anyMatch(t -> ProcThreads.isTraining(t.name()))) {
                first = first == null ? now : first;
                last = now;
            }
        }
    }
}
