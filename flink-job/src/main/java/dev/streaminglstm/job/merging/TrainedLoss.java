package dev.streaminglstm.job.merging;

/**
 * The training loss of every token trained into a model, each batch's taken before the step that learned from it:
 * the learner's own prequential code length (an online compressor's, as the quality benchmark's online learner
 * measures its own), beside the served predictions' prequential loss, which also pays for serving a version late.
 *
 * @param nats the summed loss, in nats
 * @param tokens the tokens it was summed over (batches whose loss was not finite are left out)
 */
public record TrainedLoss(double nats, long tokens) {
    public static final TrainedLoss NONE = new TrainedLoss(0, 0);

    /** From a bits-per-token figure over {@code tokens}, as a manifest records it; none for a NaN figure. */
    public static TrainedLoss ofBpc(double bpc, long tokens) {
        return Double.isFinite(bpc) && tokens > 0 ? new TrainedLoss(bpc * tokens * Math.log(2), tokens) : NONE;
    }

    /** This loss and a batch's: {@code nats} summed over {@code tokens}; a non-finite sum is left out. */
    public TrainedLoss plus(double nats, long tokens) {
        return Double.isFinite(nats) && tokens > 0 ? new TrainedLoss(this.nats + nats, this.tokens + tokens) : this;
    }

    /** Bits per token; NaN before any. */
    public double bpc() {
        return tokens == 0 ? Double.NaN : nats / tokens / Math.log(2);
    }
}
