package dev.streaminglstm.bench;

import dev.streaminglstm.sandbox.EmbeddedStack;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The job's rates in steady state, from its own counters ({@link InJvmMetrics}): from the first trained batch, a
 * warm-up is skipped, then the counters are read at the start and the end of the measured span. The span ends early
 * if the input runs out: every pre-loaded record reached training.
 *
 * @param seconds         the measured span
 * @param tokensTrained   tokens trained per second, over every training subtask
 * @param tokensReceived  tokens that reached training per second
 * @param predictions     predictions per second made with a model
 * @param chunksInferred  input records that reached inference per second
 * @param windowsPerBatch mean windows per trained batch
 * @param inputRanOut     whether the span ended because the input ran out
 * @param doneBeforeSpan  whether the caller's end condition already held when the span began (the rates then
 *     measure only what was left over)
 * @param chunksPerBundle mean chunks in a bundle the inference operator predicted together
 * @param inferenceOverTraining CPU time of the inference task per token it scored over CPU time of the training task
 *     per token it trained (each task's thread, which runs its operator, timers and BLAS calls); NaN if either did
 *     nothing
 */
record SteadyState(double seconds, double tokensTrained, double tokensReceived, double predictions,
        double chunksInferred, double windowsPerBatch, double chunksPerBundle, boolean inputRanOut,
        boolean doneBeforeSpan, double inferenceOverTraining) {

    private static final Duration FIRST_BATCH_TIMEOUT = Duration.ofMinutes(5);

    private record Counts(long nanos, long trained, long received, long predictions, long inferred, long windows,
            long batches, long records, long scored, long bundles, long inferCpu, long trainCpu) {
        static Counts now() {
            return new Counts(System.nanoTime(), InJvmMetrics.counter("train", "tokensTrained"),
                    InJvmMetrics.counter("train", "tokensReceived"), InJvmMetrics.counter("infer", "predictions"),
                    InJvmMetrics.counter("infer", "numRecordsIn"), InJvmMetrics.counter("train", "windowsTrained"),
                    InJvmMetrics.counter("train", "batchesTrained"), InJvmMetrics.counter("train", "numRecordsIn"),
                    InJvmMetrics.counter("infer", "prequentialTokens"), InJvmMetrics.counter("infer", "bundles"),
                    cpuNanos("infer"), cpuNanos("train"));
        }
    }

    /** CPU time of the task threads of the operator chain that starts with {@code operator} (one per subtask). */
    private static long cpuNanos(String operator) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long total = 0;
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            // the task thread is named after its chain and subtask, "train (1/1)#0"; its timer threads are not it
            if (t.getName().startsWith(operator + " ") && t.getName().matches(".*\\(\\d+/\\d+\\)#\\d+")) {
                total += Math.max(0, threads.getThreadCpuTime(t.getId()));
            }
        }
        return total;
    }

    /**
     * Measures the running {@code job}: waits for its first batch, skips {@code warmup}, measures {@code span}.
     *
     * @param inputRecords the records pre-loaded into the input topic
     */
    static SteadyState measure(EmbeddedStack.RunningJob job, Duration warmup, Duration span, long inputRecords)
            throws Exception {
        return measure(job, warmup, span, inputRecords, () -> false);
    }

    /** As {@link #measure(EmbeddedStack.RunningJob, Duration, Duration, long)}, ending early once {@code done}. */
    static SteadyState measure(EmbeddedStack.RunningJob job, Duration warmup, Duration span, long inputRecords,
            java.util.function.BooleanSupplier done) throws Exception {
        awaitWhileRunning(job, () -> InJvmMetrics.counter("train", "batchesTrained") > 0, FIRST_BATCH_TIMEOUT,
                "batch trained");
        sleepWhileRunning(job, warmup.toMillis());
        boolean doneBeforeSpan = done.getAsBoolean();
        Counts start = Counts.now();
        Counts end;
        boolean ranOut;
        // At least one interval: a small input may all reach training before its first batch is trained, and the
        // tokens of that input are still to be trained and measured.
        do {
            sleepWhileRunning(job, 250);
            end = Counts.now();
            ranOut = end.records() >= inputRecords;
        } while (!ranOut && !done.getAsBoolean() && end.nanos() - start.nanos() < span.toNanos());
        double seconds = (end.nanos() - start.nanos()) / 1e9;
        long batches = end.batches() - start.batches();
        return new SteadyState(seconds, (end.trained() - start.trained()) / seconds,
                (end.received() - start.received()) / seconds, (end.predictions() - start.predictions()) / seconds,
                (end.inferred() - start.inferred()) / seconds,
                batches == 0 ? 0 : (double) (end.windows() - start.windows()) / batches,
                (double) (end.inferred() - start.inferred()) / Math.max(1, end.bundles() - start.bundles()), ranOut,
                doneBeforeSpan,
                ((double) (end.inferCpu() - start.inferCpu()) / (end.scored() - start.scored()))
                        / ((double) (end.trainCpu() - start.trainCpu()) / (end.trained() - start.trained())));
    }

    /**
     * Waits until {@code reached}, checking it and that the job still runs every 100 ms; throws "no {@code what}
     * within ..." after {@code timeout}.
     */
    static void awaitWhileRunning(EmbeddedStack.RunningJob job, java.util.function.BooleanSupplier reached,
            Duration timeout, String what) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!reached.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no " + what + " within " + timeout.toSeconds() + " s");
            }
            sleepWhileRunning(job, 100);
        }
    }

    /** Sleeps {@code millis}, checking every 100 ms that the job still runs. */
    static void sleepWhileRunning(EmbeddedStack.RunningJob job, long millis) throws Exception {
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (System.nanoTime() < until) {
            requireRunning(job);
            Thread.sleep(Math.max(1, Math.min(100, TimeUnit.NANOSECONDS.toMillis(until - System.nanoTime()))));
        }
    }

    /** Throws if the job has ended (a benchmark's job runs until it is cancelled). */
    static void requireRunning(EmbeddedStack.RunningJob job) throws Exception {
        if (job.client().getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) {
            String why;
            try {
                job.client().getJobExecutionResult().get(10, TimeUnit.SECONDS);
                why = "";
            } catch (Exception e) {
                Throwable root = e;
                while (root.getCause() != null) {
                    root = root.getCause();
                }
                why = ": " + root;
            }
            throw new IllegalStateException("the job ended" + why);
        }
    }
}
