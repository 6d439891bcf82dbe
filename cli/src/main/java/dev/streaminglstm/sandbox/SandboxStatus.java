package dev.streaminglstm.sandbox;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What a running sandbox shows at one moment, as an immutable snapshot: the live view draws it and the
 * {@link SandboxSummary} is made from the last one.
 *
 * @param elapsed         time since the producer started
 * @param streams         concurrent input streams
 * @param bytesSent       UTF-8 bytes of text the producer has sent
 * @param chunksSent      records the producer has sent
 * @param chunksInFlight  records sent that have no prediction yet
 * @param predictions     distinct predictions made by a model (status OK), one per (stream, chunk)
 * @param noModel         distinct predictions made before any model version existed (status NO_MODEL)
 * @param deadLetters     records on the dead-letter topic
 * @param recentSurprise  mean surprise in bits of the recent predictions: how unlikely the served model found the
 *                        first byte of each chunk before it arrived (text it had not been trained on); empty before
 *                        there is any
 * @param firstSurprise   the same mean over this run's first predictions; empty until there are enough predictions
 *                        for the first and the recent ones not to overlap
 * @param versions        published model versions seen, oldest first (the store's retention may have deleted the
 *                        older ones since)
 * @param samples         the latest text and predicted continuation of a few streams
 * @param prequential     every token of the predictions scored before the served model saw it
 */
public record SandboxStatus(
        Duration elapsed,
        int streams,
        long bytesSent,
        long chunksSent,
        long chunksInFlight,
        long predictions,
        long noModel,
        long deadLetters,
        Optional<Double> recentSurprise,
        Optional<Double> firstSurprise,
        List<PublishedVersion> versions,
        List<StreamSample> samples,
        Prequential.Snapshot prequential) {

    /** Over how long {@link #trainingTokensPerSecond()} measures the training rate. */
    static final Duration RATE_WINDOW = Duration.ofSeconds(30);

    public SandboxStatus {
        versions = List.copyOf(versions);
        samples = List.copyOf(samples);
    }

    /**
     * One model version as its manifest in the store describes it.
     *
     * @param lossBpc its recent training loss
     * @param trainingPrequentialBpc the training loss of every token trained into it, each before its step
     */
    public record PublishedVersion(long version, Instant createdAt, long tokensTrained, Optional<Double> lossBpc,
            Optional<Double> trainingPrequentialBpc) {}

    /**
     * A stream's latest prediction.
     *
     * @param streamId     the stream
     * @param recentText   the end of the stream's text up to and including the chunk the prediction follows
     * @param continuation what the model expected to come next
     * @param modelVersion the version that predicted it
     */
    public record StreamSample(String streamId, String recentText, String continuation, long modelVersion) {}

    /** The newest published version, if any. */
    public Optional<PublishedVersion> newest() {
        return versions.isEmpty() ? Optional.empty() : Optional.of(versions.get(versions.size() - 1));
    }

    /** The oldest published version this run saw that reported a loss. */
    public Optional<PublishedVersion> firstWithLoss() {
        return versions.stream().filter(v -> v.lossBpc().isPresent()).findFirst();
    }

    /** Tokens the newest version was trained on, 0 before the first. */
    public long tokensTrained() {
        return newest().map(PublishedVersion::tokensTrained).orElse(0L);
    }

    /**
     * Training rate from the manifests: tokens trained between the newest version and the newest one at least
     * {@link #RATE_WINDOW} older (or the oldest seen), per second of their creation times. Empty with fewer than
     * two versions.
     */
    public Optional<Double> trainingTokensPerSecond() {
        if (versions.size() < 2) {
            return Optional.empty();
        }
        PublishedVersion newest = versions.get(versions.size() - 1);
        PublishedVersion base = versions.get(0);
        for (PublishedVersion v : versions) {
            if (!v.createdAt().isAfter(newest.createdAt().minus(RATE_WINDOW))) {
                base = v;
            }
        }
        double seconds = Duration.between(base.createdAt(), newest.createdAt()).toMillis() / 1000.0;
        return seconds <= 0 ? Optional.empty()
                : Optional.of((newest.tokensTrained() - base.tokensTrained()) / seconds);
    }

    /** Input rate: bytes sent per second since the start. */
    public double bytesPerSecond() {
        double seconds = elapsed.toMillis() / 1000.0;
        return seconds <= 0 ? 0 : bytesSent / seconds;
    }
}
