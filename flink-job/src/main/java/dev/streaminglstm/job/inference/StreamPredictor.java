package dev.streaminglstm.job.inference;

import dev.streaminglstm.core.infer.CodeLength;
import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.infer.TokenSampler;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.InferenceSettings;
import dev.streaminglstm.job.tokens.StreamTokens;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Live next-token predictions, without Flink. For every accepted chunk of a stream it makes a {@link Prediction}
 * with the served model: the top-k next tokens, a short greedy continuation, the surprise the previous prediction
 * gave to the chunk's first token (none for a stream's first prediction with a model, or the first after a swap: the
 * previous one then came from no model or another one), and the chunk's prequential code length: every token scored
 * with the distribution the served model gave just before it. Before any model is served, predictions are
 * {@code NO_MODEL}, nothing is scored and the context is kept. When a newer version is served, a stream's state goes
 * on with the new weights ({@code --on-new-version CARRY}, as training carries (h, c) across its updates) or is first
 * rebuilt from its kept context with them ({@code REBUILD}: exact per-version states, at streams x context steps per
 * version); a state from a newer version than the served one (a pin or a rollback) is always rebuilt. Either way the
 * new weights' distribution scores the chunk's first token, so every token but a stream's very first is scored. Not
 * thread-safe.
 */
public final class StreamPredictor {

    /** What happens as predictions are made, for metrics. */
    public interface Listener {
        default void duplicateDropped() {}

        default void stateRebuilt() {}

        /** A chunk's tokens were scored: {@code bits} for {@code tokens} of them. */
        default void scored(double bits, int tokens) {}
    }

    private final InferenceSettings settings;
    private final Random random;
    private final Listener listener;
    private ServableModel served;
    /** The session of streams without features on {@link #served}, and its zero state; null until needed. */
    private InferenceSession sharedSession;
    private float[] zeroState;

    public StreamPredictor(InferenceSettings settings, long seed, Listener listener) {
        this.settings = settings;
        this.random = new Random(seed);
        this.listener = listener;
    }

    /** Serves {@code model} from now on. */
    public void serve(ServableModel model) {
        served = model;
        sharedSession = null;
    }

    /** The model served, or null before any. */
    public ServableModel served() {
        return served;
    }

    /**
     * The prediction after a stream's chunk, updating the stream's state {@code s} in place; null if the chunk is a
     * replay (its sequence number is not above the stream's last), which changes nothing.
     */
    public Prediction predict(TextEvent event, StreamInferenceState s) {
        if (event.getSequenceNumber() <= s.lastSequence) {
            listener.duplicateDropped();
            return null;
        }
        s.lastSequence = event.getSequenceNumber();
        int[] tokens = StreamTokens.of(event, s.context.length > 0);
        s.bytePosition += event.getText().getBytes(StandardCharsets.UTF_8).length;
        float[] features = StreamTokens.features(event);
        if (features != null) {
            s.features = features;
        }
        Prediction.Builder p = Prediction.newBuilder()
                .setStreamId(event.getStreamId())
                .setSequenceNumber(event.getSequenceNumber())
                .setBytePosition(s.bytePosition)
                .setEventTime(event.getEventTime());
        if (served == null) {
            s.context = appendContext(s.context, tokens);
            return p.setStatus(PredictionStatus.NO_MODEL).setEmittedAt(Instant.now()).build();
        }
        InferenceSession session = sessionFor(s.features);
        Double surprise = null;
        boolean sameVersion = s.modelVersion == served.version();
        if (s.state == null || !(sameVersion || carries(s))) {
            rebuild(session, s);
        } else {
            // The distribution is not kept in state: the head computes it again from the restored h.
            session.restore(s.state);
            s.next = session.nextDistribution();
            if (sameVersion && tokens.length > 0) {
                surprise = -Math.log(Math.max(s.next[tokens[0]], Float.MIN_VALUE)) / Math.log(2);
            }
        }
        // An empty chunk adds no token: its prediction is the stream's current one.
        CodeLength score = new CodeLength();
        float[] next = tokens.length > 0 ? session.feed(tokens, score) : session.nextDistribution();
        int[] continuation = next == null ? new int[0]
                : session.generate(settings.continuationLength(), 0.0, 0, ByteVocabulary.END, random);

        s.state = session.flatState();
        s.next = next;
        s.modelVersion = served.version();
        s.context = appendContext(s.context, tokens);
        s.scoredBits += score.bits();
        s.scoredTokens += score.tokens();
        listener.scored(score.bits(), score.tokens());

        List<TokenProbability> top = new ArrayList<>();
        if (next != null) {
            for (int id : TokenSampler.topK(next, settings.topK())) {
                top.add(new TokenProbability(id, ByteVocabulary.display(id), next[id]));
            }
        }
        return p.setStatus(PredictionStatus.OK)
                .setModelVersion(served.version())
                .setTopK(top)
                .setContinuation(ByteVocabulary.decode(continuation))
                .setSurpriseBits(surprise)
                .setScoredTokens(score.tokens())
                .setScoredBits(score.bits())
                .setStreamBpc(s.scoredTokens > 0 ? s.scoredBits / s.scoredTokens : null)
                .setEmittedAt(Instant.now())
                .build();
    }

    /**
     * A session on the served model for a stream with these features (null: none), from a zero state. Streams
     * without features share one per served model: making one costs about a quarter of reading a 64-byte chunk.
     */
    private InferenceSession sessionFor(float[] features) {
        if (features != null) {
            return served.session(features);
        }
        if (sharedSession == null) {
            sharedSession = served.session(null);
            zeroState = sharedSession.flatState();
        }
        sharedSession.restore(zeroState, null);
        return sharedSession;
    }

    /** Whether the stream's state, from an older version than the served one, goes on with the served weights. */
    private boolean carries(StreamInferenceState s) {
        return settings.onNewVersion() == InferenceSettings.OnNewVersion.CARRY && s.modelVersion < served.version();
    }

    /** Recomputes the stream's state from its kept context with the served model's weights. */
    private void rebuild(InferenceSession session, StreamInferenceState s) {
        if (s.context.length > 0) {
            session.feed(s.context);
            listener.stateRebuilt();
        }
    }

    private int[] appendContext(int[] context, int[] tokens) {
        int keep = settings.contextBytes();
        int[] all = Arrays.copyOf(context, context.length + tokens.length);
        System.arraycopy(tokens, 0, all, context.length, tokens.length);
        return all.length <= keep ? all : Arrays.copyOfRange(all, all.length - keep, all.length);
    }
}
