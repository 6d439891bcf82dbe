package dev.streaminglstm.quality;

import dev.streaminglstm.core.serve.ServableModel;
import java.util.ArrayList;
import java.util.List;

/**
 * A learner's held-out evaluations at the benchmark's token counts: each once the learner has trained at least that
 * many tokens (so within one training step of it), timed apart from the training.
 */
final class Evaluations {
    private final long[] points;
    private final HeldOut heldOut;
    private final List<Curve.Point> done = new ArrayList<>();
    private int next;
    private long nanos;

    /** @param points token counts, ascending */
    Evaluations(long[] points, HeldOut heldOut) {
        this.points = points.clone();
        this.heldOut = heldOut;
    }

    /** Whether the learner, at {@code tokens} trained, has passed the next point. */
    boolean due(long tokens) {
        return next < points.length && tokens >= points[next];
    }

    /** Scores the held-out text with the learner's model after {@code tokens} tokens. */
    void evaluate(long tokens, ServableModel model) {
        long started = System.nanoTime();
        done.add(new Curve.Point(tokens, heldOut.bpc(model)));
        while (due(tokens)) {
            next++;
        }
        nanos += System.nanoTime() - started;
    }

    /** Whether every point has been evaluated. */
    boolean finished() {
        return next >= points.length;
    }

    List<Curve.Point> points() {
        return done;
    }

    /** Time the evaluations took, in ns, to leave out of the training rate. */
    long nanos() {
        return nanos;
    }
}
