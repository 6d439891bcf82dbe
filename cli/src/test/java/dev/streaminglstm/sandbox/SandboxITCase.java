package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.sandbox.SandboxStatus.PublishedVersion;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.sandbox.corpus.RateLimit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole sandbox, as {@code streaming-lstm sandbox} runs it: a real broker, the production job graph on a
 * MiniCluster, the Europarl replay, a file store; with a tiny model so it learns within a minute on 2 cores.
 */
class SandboxITCase {

    /** The run ends once this many versions are published and this many predictions made, or at the duration. */
    private static final int ENOUGH_VERSIONS = 10;
    private static final int ENOUGH_PREDICTIONS = 60;

    @TempDir
    Path workDir;

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void theModelLearnsFromTheReplayedStreamsAndTheRunEndsWithASummary() throws Exception {
        SandboxSettings settings = tinyModel(List.of("--checkpoint-interval-ms", "2000", "--publish-every-windows",
                "16", "--context-bytes", "32", "--continuation-length", "8"), Duration.ZERO, false);
        RecordingView view = new RecordingView();
        Sandbox sandbox = new Sandbox(settings, view);
        view.stopWhenEnough(sandbox);

        SandboxSummary summary = sandbox.run();
        System.out.println(summary.report()); // kept in the failsafe report, to read the figures

        assertThat(summary.tokens()).isPositive();
        assertThat(summary.streams()).isEqualTo(8);
        assertThat(summary.version()).isGreaterThanOrEqualTo(1);
        assertThat(summary.predictions()).isPositive();
        assertThat(summary.deadLetters()).isZero();
        assertThat(summary.bytesSent()).isPositive();
        assertThat(summary.bpc()).isPresent();
        assertThat(summary.firstBpc()).isPresent();
        // At 5 versions, in two runs: training loss 7.98 to 4.40 and 5.02 to 4.30 bpc (the first version's loss
        // depends on how much was trained before it); prequentially 6.90 to 4.61 and 5.41 to 4.56.
        assertThat(summary.bpc().get()).as("training loss now, half a bit or more below that of the first version")
                .isLessThan(summary.firstBpc().get() - 0.5);
        assertThat(summary.prequential().falling()).as("first and last 20,000 prequential tokens apart").isTrue();
        assertThat(summary.trainingPrequentialBpc()).as("the newest version's training loss over every token trained")
                .hasValueSatisfying(all -> assertThat(all).isBetween(summary.bpc().get(), 8.0));
        assertThat(summary.prequential().recent().get())
                .as("prequential bpc of the last 20,000 tokens, 0.3 bits or more below that of the first")
                .isLessThan(summary.prequential().first().get() - 0.3);
        assertThat(summary.keyValues()).startsWith("tokens=" + summary.tokens() + " streams=8 version="
                + summary.version() + " bpc=").contains(" predictions=" + summary.predictions() + " dead_letters=0");

        SandboxStatus last = view.statuses.get(view.statuses.size() - 1);
        assertThat(last.versions()).extracting(PublishedVersion::version).isSorted();
        assertThat(last.samples()).as("streams shown with their continuation").isNotEmpty()
                .allSatisfy(sample -> assertThat(sample.streamId()).startsWith("doc-"));
        // Stopping releases the producer's limit (so that it never blocks the shutdown): the bound holds until then.
        assertThat(view.beforeStop).as("statuses shown before the stop").isNotEmpty()
                .allSatisfy(status -> assertThat(status.chunksInFlight())
                        .isLessThanOrEqualTo(settings.maxChunksInFlight()));
        assertThat(view.notes).anyMatch(note -> note.startsWith("stopping"));
        assertThat(summary.runDir()).isEqualTo(sandbox.runDir());
        assertThat(Files.exists(sandbox.runDir().resolve("store").resolve("LATEST"))).isTrue();
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void earlyCheckpointsPublishTheFirstVersionsAtOnceEvenWithAnHourlyInterval() throws Exception {
        SandboxSettings settings = tinyModel(List.of("--checkpoint-interval-ms", "3600000"), Duration.ofSeconds(5),
                false);
        StopAtVersions view = new StopAtVersions(2, () -> { });

        SandboxSummary summary = view.run(settings);

        // Flink's periodic trigger first fires at a random moment within the hour: these are the early checkpoints'
        assertThat(summary.version()).as("versions published within the run's 60 s").isGreaterThanOrEqualTo(2);
        assertThat(view.notes)
                .anyMatch(note -> note.contains("checkpoints every 3600 s (back to back for the first 5 s)"));
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void trainingFirstLowersEveryOtherThreadOfTheJobAndTheBroker() throws Exception {
        SandboxSettings settings = tinyModel(List.of("--checkpoint-interval-ms", "1000"), Duration.ZERO, true);
        AtomicReference<List<ProcThreads.ThreadEntry>> threads = new AtomicReference<>();
        // two versions trained and published: every task ran through at least one of the sweeps a second
        StopAtVersions view = new StopAtVersions(2, () -> threads.set(ProcThreads.ofThisProcess()));

        SandboxSummary summary = view.run(settings);

        assertThat(summary.version()).isGreaterThanOrEqualTo(2);
        assertThat(view.notes).anyMatch(note -> note.endsWith("; training first (every other thread at nice +5)"));
        assertThat(threads.get()).as("threads of the running sandbox").isNotNull();
        int own = ProcThreads.processNice();
        assertThat(threads.get()).filteredOn(t -> t.name().startsWith("train ("))
                .singleElement().satisfies(t -> assertThat(t.nice()).isEqualTo(own));
        for (String other : List.of("infer", "Source: text-in", "data-plane-kafk")) {
            assertThat(threads.get()).as(other).filteredOn(t -> t.name().startsWith(other)).isNotEmpty()
                    .allSatisfy(t -> assertThat(t.nice()).isEqualTo(own + TrainingFirst.LOWERED_NICE));
        }
    }

    /**
     * A model of H 32, E 16, T 16, B 8 with the job's {@code flags} besides, on eight streams of the Europarl replay
     * for up to 60 s, a status every 500 ms.
     */
    private SandboxSettings tinyModel(List<String> flags, Duration earlyCheckpoints, boolean trainingFirst) {
        List<String> job = new ArrayList<>(List.of("--hidden", "32", "--embed", "16", "--window", "16", "--batch",
                "8"));
        job.addAll(flags);
        return new SandboxSettings(Corpus.europarl(), 8, 16, RateLimit.unlimited(), Optional.of(Duration.ofSeconds(60)),
                workDir, job, Duration.ofMillis(500), 0, SandboxEndpoints.freePorts(), earlyCheckpoints, trainingFirst);
    }

    /** Keeps the notes; once the sandbox shows this many published versions, runs an action and stops it. */
    private static final class StopAtVersions implements SandboxView {
        final List<String> notes = new CopyOnWriteArrayList<>();
        private final int versions;
        private final Runnable first;
        private final AtomicReference<Sandbox> sandbox = new AtomicReference<>();
        private final AtomicBoolean stopped = new AtomicBoolean();

        StopAtVersions(int versions, Runnable first) {
            this.versions = versions;
            this.first = first;
        }

        /** Runs a sandbox of {@code settings} that shows its status here. */
        SandboxSummary run(SandboxSettings settings) throws Exception {
            Sandbox running = new Sandbox(settings, this);
            sandbox.set(running);
            return running.run();
        }

        @Override
        public void show(SandboxStatus status) {
            if (status.versions().size() >= versions && stopped.compareAndSet(false, true)) {
                first.run();
                sandbox.get().stop();
            }
        }

        @Override
        public void note(String message) {
            notes.add(message);
        }
    }

    /** Keeps what the sandbox shows; asks it to stop once it has shown enough. */
    private static final class RecordingView implements SandboxView {
        final List<SandboxStatus> statuses = new CopyOnWriteArrayList<>();
        /** Those shown before this view asked the sandbox to stop (the one that made it ask included). */
        final List<SandboxStatus> beforeStop = new CopyOnWriteArrayList<>();
        private volatile boolean stopAsked;
        final List<String> notes = new CopyOnWriteArrayList<>();
        private final AtomicReference<Sandbox> stopping = new AtomicReference<>();

        void stopWhenEnough(Sandbox sandbox) {
            stopping.set(sandbox);
        }

        @Override
        public void show(SandboxStatus status) {
            statuses.add(status);
            if (!stopAsked) {
                beforeStop.add(status);
            }
            if (status.versions().size() >= ENOUGH_VERSIONS && status.predictions() >= ENOUGH_PREDICTIONS
                    && status.prequential().falling()) {
                stopAsked = true;
                stopping.get().stop();
            }
        }

        @Override
        public void note(String message) {
            notes.add(message);
        }
    }
}
