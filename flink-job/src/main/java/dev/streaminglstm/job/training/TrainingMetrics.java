package dev.streaminglstm.job.training;

import dev.streaminglstm.core.train.Trainer;
import java.util.function.LongSupplier;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.metrics.DescriptiveStatisticsHistogram;

/** The training operator's metrics, registered on its Flink metric group and fed by its {@link StreamTrainer}. */
final class TrainingMetrics implements StreamTrainer.Listener {
    final Counter tokensReceived;
    final Counter tokensTrained;
    final Counter windowsTrained;
    final Counter batches;
    final Counter skippedSteps;
    final Counter duplicates;
    final Counter deltasEmitted;
    final Counter rebases;
    final Histogram batchSize;
    private volatile double lossBpc = Double.NaN;
    private volatile double batchMillis;

    TrainingMetrics(MetricGroup group, LongSupplier baseVersion) {
        tokensReceived = group.counter("tokensReceived");
        tokensTrained = group.counter("tokensTrained");
        windowsTrained = group.counter("windowsTrained");
        batches = group.counter("batchesTrained");
        skippedSteps = group.counter("skippedNonFiniteSteps");
        duplicates = group.counter("duplicatesDropped");
        deltasEmitted = group.counter("deltasEmitted");
        rebases = group.counter("rebasesOnGlobalModel");
        batchSize = group.histogram("batchSize", new DescriptiveStatisticsHistogram(500));
        group.gauge("lossBpc", () -> lossBpc);
        group.gauge("batchMillis", () -> batchMillis);
        group.gauge("baseModelVersion", baseVersion::getAsLong);
    }

    @Override
    public void tokensReceived(int tokens) {
        tokensReceived.inc(tokens);
    }

    @Override
    public void duplicateDropped() {
        duplicates.inc();
    }

    @Override
    public void batchTrained(int windows, Trainer.Step step, long nanos) {
        batches.inc();
        windowsTrained.inc(windows);
        tokensTrained.inc(step.tokens());
        batchSize.update(windows);
        if (step.report().skipped()) {
            skippedSteps.inc();
        } else {
            double bpc = step.lossBits();
            lossBpc = Double.isNaN(lossBpc) ? bpc : 0.9 * lossBpc + 0.1 * bpc;
        }
        batchMillis = nanos / 1e6;
    }

    @Override
    public void deltaSent() {
        deltasEmitted.inc();
    }

    @Override
    public void rebased() {
        rebases.inc();
    }
}
