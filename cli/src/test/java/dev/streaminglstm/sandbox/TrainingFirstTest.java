package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link TrainingFirst} on this JVM's own threads, their nice read back from {@code /proc}. */
class TrainingFirstTest {

    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Thread> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void releaseThreads() throws InterruptedException {
        release.countDown();
        for (Thread thread : started) {
            thread.join(10_000);
        }
    }

    @Test
    void cutsNamesToTheFifteenBytesTheKernelKeeps() {
        assertThat(TrainingFirst.kernelName("infer -> predictions (1/1)#0")).isEqualTo("infer -> predic");
        assertThat(TrainingFirst.kernelName("train (1/1)#0")).isEqualTo("train (1/1)#0");
    }

    @Test
    void lowersEveryApplicationThreadButTrainingAndTheThreadsThatStartTasks() throws Exception {
        TrainingFirst first = new TrainingFirst();
        assumeTrue(first.unavailable().isEmpty(), () -> "not on Linux with libc: " + first.unavailable());
        int own = niceOfThisThread();
        String training = parked("train (1/1)#0");
        String inference = parked("infer -> predictions (1/1)#0");
        String taskCreator = parked("taskmanager_0-main-thread");

        int lowered = first.sweep();

        assertThat(lowered).isGreaterThanOrEqualTo(1);
        assertThat(niceOf(inference)).isEqualTo(own + TrainingFirst.LOWERED_NICE);
        assertThat(niceOf(training)).isEqualTo(own);
        assertThat(niceOf(taskCreator)).isEqualTo(own);
        // the JUnit thread runs as "main", which Linux names "java": not an application thread's name
        assertThat(niceOfThisThread()).isEqualTo(own);
    }

    @Test
    void aThreadStartedLaterInheritsItsCreatorsNiceAndTheNextPassLowersIt() throws Exception {
        TrainingFirst first = new TrainingFirst();
        assumeTrue(first.unavailable().isEmpty(), () -> "not on Linux with libc: " + first.unavailable());
        int own = niceOfThisThread();
        parked("train (1/1)#0");
        String lowered = parked("kafka-producer-network-thread");
        first.sweep();
        assertThat(niceOf(lowered)).isEqualTo(own + TrainingFirst.LOWERED_NICE);

        CompletableFuture<String> newTask = new CompletableFuture<>();
        parked("taskmanager_0-main-thread", () -> newTask.complete(parked("train (1/1)#1")));
        String newWorker = parked("sandbox-producer");

        assertThat(niceOf(newTask.get(10, TimeUnit.SECONDS))).as("a restarted task's thread").isEqualTo(own);
        first.sweep();
        assertThat(niceOf(newWorker)).isEqualTo(own + TrainingFirst.LOWERED_NICE);
        assertThat(niceOf(newTask.get())).isEqualTo(own);
    }

    @Test
    void lowersNothingBeforeATrainingThreadRuns() throws Exception {
        TrainingFirst first = new TrainingFirst();
        assumeTrue(first.unavailable().isEmpty(), () -> "not on Linux with libc: " + first.unavailable());
        assumeTrue(ProcThreads.ofThisProcess().stream().noneMatch(t -> t.name().startsWith("train (")),
                "no training thread left by another test in this JVM");
        int own = niceOfThisThread();
        String inference = parked("infer -> predictions (1/1)#0");

        assertThat(first.sweep()).isZero();
        assertThat(niceOf(inference)).isEqualTo(own);
    }

    /**
     * Starts a thread named {@code name} that parks until the test ends, and waits until it runs: then the kernel
     * has its name (the JVM sets it from the new thread itself).
     *
     * @return its kernel thread id
     */
    private String parked(String name) {
        return parked(name, () -> { });
    }

    /** Like {@link #parked(String)}, the thread running {@code first} before it parks. */
    private String parked(String name, Runnable first) {
        CompletableFuture<String> tid = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            first.run();
            tid.complete(threadSelf());
            awaitRelease();
        }, name);
        started.add(thread);
        thread.start();
        return tid.orTimeout(10, TimeUnit.SECONDS).join();
    }

    private void awaitRelease() {
        try {
            release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String threadSelf() {
        try {
            return Path.of("/proc/thread-self").toRealPath().getFileName().toString();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static int niceOfThisThread() throws IOException {
        return niceOf(threadSelf());
    }

    private static int niceOf(String tid) throws IOException {
        return ProcThreads.niceIn(Files.readString(Path.of("/proc/self/task", tid, "stat")));
    }
}
