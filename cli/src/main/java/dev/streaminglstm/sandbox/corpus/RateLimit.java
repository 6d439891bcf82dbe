package dev.streaminglstm.sandbox.corpus;

/**
 * How fast a {@link CorpusReplayer} sends: unlimited, or at most so many text bytes or chunks per second,
 * averaged from the start of the replay.
 *
 * @param perSecond units per second; {@code Double.POSITIVE_INFINITY} for no limit
 * @param unit      what is counted
 */
public record RateLimit(double perSecond, Unit unit) {

    /** What a rate counts. */
    public enum Unit {
        /** UTF-8 bytes of chunk text. */
        BYTES,
        /** Chunks, that is records. */
        CHUNKS
    }

    public RateLimit {
        if (!(perSecond > 0) || unit == null) {
            throw new IllegalArgumentException("a rate must be above 0 per second and have a unit, was " + perSecond
                    + " " + unit);
        }
    }

    /** As fast as the producer takes them. */
    public static RateLimit unlimited() {
        return new RateLimit(Double.POSITIVE_INFINITY, Unit.CHUNKS);
    }

    /** At most {@code bytes} text bytes per second. */
    public static RateLimit bytesPerSecond(double bytes) {
        return new RateLimit(bytes, Unit.BYTES);
    }

    /** At most {@code chunks} chunks per second. */
    public static RateLimit chunksPerSecond(double chunks) {
        return new RateLimit(chunks, Unit.CHUNKS);
    }

    /** Nanoseconds from the start by which {@code bytes} text bytes in {@code chunks} chunks may have been sent. */
    long earliestNanos(long chunks, long bytes) {
        double units = unit == Unit.BYTES ? bytes : chunks;
        return (long) (units / perSecond * 1e9);
    }
}
