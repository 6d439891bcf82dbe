package dev.streaminglstm.sandbox;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.CheckpointType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints one after another from the moment every task of an embedded job runs, for a set span: each completed
 * checkpoint publishes a model version, and a young model's versions improve fastest. Flink's periodic trigger
 * first fires at a random moment within one interval of the job's start, and is lost if a task is still initializing
 * then (the next one comes an interval later). On a cluster, {@code flink checkpoint JOB_ID} triggers one.
 */
final class EarlyCheckpoints implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(EarlyCheckpoints.class);

    /** Between two triggers that failed because a task did not run yet. */
    private static final long RETRY_MILLIS = 100;

    /** Longest a checkpoint may take before the next one is triggered anyway. */
    private static final Duration CHECKPOINT_WAIT = Duration.ofMinutes(2);

    /** Longest to wait for every task to run; the periodic checkpoints go on regardless. */
    private static final Duration START_WAIT = Duration.ofMinutes(5);

    private final MiniCluster cluster;
    private final JobID job;
    private final Duration span;

    private EarlyCheckpoints(MiniCluster cluster, JobID job, Duration span) {
        this.cluster = cluster;
        this.job = job;
        this.span = span;
    }

    /** Starts checkpointing {@code job} back to back for {@code span} from its first completed checkpoint. */
    static void start(MiniCluster cluster, JobID job, Duration span) {
        Thread thread = new Thread(new EarlyCheckpoints(cluster, job, span), "early-checkpoints");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        long until = started + START_WAIT.toNanos();
        long first = 0;
        int completed = 0;
        while (System.nanoTime() < until) {
            try {
                cluster.triggerCheckpoint(job, CheckpointType.CONFIGURED)
                        .get(CHECKPOINT_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                if (completed++ == 0) {
                    first = System.nanoTime();
                    until = first + span.toNanos();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                // a task still initializing declines the checkpoint; an ended job or a stopped cluster ends this
                if (!running()) {
                    return;
                }
                LOG.debug("early checkpoint of job {} not taken: {}", job, e.toString());
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        LOG.info("{} early checkpoints of job {}, the first {} ms after its submission", completed, job,
                completed == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(first - started));
    }

    private boolean running() {
        try {
            return cluster.isRunning()
                    && !cluster.getJobStatus(job).get(10, TimeUnit.SECONDS).isGloballyTerminalState();
        } catch (Exception e) {
            return false;
        }
    }
}
