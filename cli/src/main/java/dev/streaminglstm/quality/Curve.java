package dev.streaminglstm.quality;

import java.util.List;
import java.util.OptionalDouble;

/**
 * What one learner of the quality benchmark reached: held-out bits per byte at token counts, its training speed and,
 * for the learners that predict before they learn, its prequential bits per byte.
 *
 * @param name the learner, as the table heads its column
 * @param points held-out bpc after training on so many tokens, in order
 * @param tokensPerSecond tokens trained per second of training (evaluations left out)
 * @param prequentialBpc every training token scored before the learner learned from it; empty where not measured
 */
public record Curve(String name, List<Point> points, double tokensPerSecond, OptionalDouble prequentialBpc) {

    /** Held-out bits per byte of the model after {@code tokens} tokens of training. */
    public record Point(long tokens, double heldoutBpc) {}

    public Curve {
        points = List.copyOf(points);
    }

    /** The held-out bpc at the last point; NaN without points. */
    public double lastBpc() {
        return points.isEmpty() ? Double.NaN : points.get(points.size() - 1).heldoutBpc();
    }

    /** Tokens at the last point; 0 without points. */
    public long lastTokens() {
        return points.isEmpty() ? 0 : points.get(points.size() - 1).tokens();
    }
}
