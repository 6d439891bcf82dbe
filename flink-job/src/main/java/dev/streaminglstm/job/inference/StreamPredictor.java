package dev.streaminglstm.job.inference;

import dev.streaminglstm.core.infer.CodeLength;
import dev.streaminglstm.core.infer.HeadCorrection;
import dev.streaminglstm.core.infer.InferenceSession;
import dev.streaminglstm.core.infer.TokenSampler;
import dev.streaminglstm.core.kernel.BatchStepper;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.RecurrentState;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.InferenceSettings;
import dev.streaminglstm.job.state.HalfFloats;
import dev.streaminglstm.job.tokens.StreamTokens;
import dev.streaminglstm.schema.Prediction;
import dev.streaminglstm.schema.PredictionStatus;
import dev.streaminglstm.schema.TextEvent;
import dev.streaminglstm.schema.TokenProbability;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

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
 * new weights' distribution scores the chunk's first token, so every token but a stream's very first is scored. With
 * {@code --adapt-head-rate} each stream's distributions are corrected by its own {@link HeadCorrection}, which learns
 * from each chunk's bytes after scoring them and is reset where a document starts (dynamic evaluation); the top-k,
 * continuation and scores all come from the corrected distributions. Not thread-safe.
 */
public final class StreamPredictor {

    /** What happens as predictions are made, for metrics. */
    public interface Listener {
        default void duplicateDropped() {}

        default void stateRebuilt() {}

        /** A chunk's tokens were scored: {@code bits} for {@code tokens} of them. */
        default void scored(double bits, int tokens) {}
    }

    /**
     * Fewest streams stepped together: below it each stream's own matrix-vector products are cheaper than a matrix
     * product, which packs the whole weight matrix for a handful of rows (at one stream, several times slower).
     */
    static final int MIN_BUNDLED = 8;

    private final InferenceSettings settings;
    private final Random random;
    private final Listener listener;
    /** The step size of each stream's head correction; 0 for none. */
    private final float adaptRate;
    private ServableModel served;
    /** Whether {@link #served} is a draft of its version. */
    private boolean servedDraft;
    /** Steps a bundle of streams of {@link #served} together; null where it does not run the model. */
    private BatchStepper batch;
    /** The session of streams without features on {@link #served}, and its zero state; null until needed. */
    private InferenceSession sharedSession;
    private float[] zeroState;

    public StreamPredictor(InferenceSettings settings, long seed, Listener listener) {
        this.settings = settings;
        this.random = new Random(seed);
        this.listener = listener;
        this.adaptRate = (float) settings.adaptHeadRate();
    }

    /** Serves {@code model}, a stored version, from now on. */
    public void serve(ServableModel model) {
        serve(model, false);
    }

    /**
     * Serves {@code model} from now on: a stored version, or a draft of one ({@code draft}). The drafts of a version
     * count as that version: a stream's state goes on with the newer draft, as with a newer version under CARRY.
     */
    public void serve(ServableModel model, boolean draft) {
        served = model;
        servedDraft = draft;
        sharedSession = null;
        // The bundle path is the fast kernel's; conditioned models and the REFERENCE kernel go one stream at a time.
        boolean bundles = Kernel.FAST.name().equalsIgnoreCase(model.model().kernel()) && !model.config().conditioned();
        batch = bundles ? BatchStepper.create(model.parameters(), ByteVocabulary.START, 1) : null;
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
        Chunk chunk = accept(event, s);
        if (chunk == null) {
            return null;
        }
        return served == null ? noModel(chunk, s) : predictAlone(chunk, s);
    }

    /**
     * The predictions after chunks of distinct streams, {@code states[i]} the state of {@code events[i]}'s stream:
     * the same as {@link #predict} for each in turn (to float rounding), with the streams stepped together, one
     * matrix product per layer and step for all of them. Fewer than {@link #MIN_BUNDLED} such streams, streams whose
     * chunk adds no token, conditioned models and the REFERENCE kernel go one at a time.
     *
     * @return one prediction per event, null for a replay
     * @throws IllegalArgumentException if two events are of the same stream
     */
    public Prediction[] predictAll(List<TextEvent> events, List<StreamInferenceState> states) {
        Prediction[] out = new Prediction[events.size()];
        List<Integer> bundled = new ArrayList<>();
        Chunk[] chunks = new Chunk[events.size()];
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            if (!seen.add(events.get(i).getStreamId())) {
                throw new IllegalArgumentException("two chunks of stream " + events.get(i).getStreamId()
                        + " in one bundle");
            }
            chunks[i] = accept(events.get(i), states.get(i));
            if (chunks[i] == null) {
                continue;
            }
            if (served == null) {
                out[i] = noModel(chunks[i], states.get(i));
            } else if (batch == null || chunks[i].tokens.length == 0) {
                out[i] = predictAlone(chunks[i], states.get(i));
            } else {
                bundled.add(i);
            }
        }
        if (bundled.size() >= MIN_BUNDLED) {
            predictBundled(bundled, chunks, states, out);
        } else {
            bundled.forEach(i -> out[i] = predictAlone(chunks[i], states.get(i)));
        }
        return out;
    }

    /** A chunk accepted into its stream: its tokens, and its prediction so far. */
    private record Chunk(int[] tokens, Prediction.Builder prediction) {}

    /** Takes the chunk into the stream's counters, or null for a replay (which changes nothing). */
    private Chunk accept(TextEvent event, StreamInferenceState s) {
        if (event.getSequenceNumber() <= s.lastSequence) {
            listener.duplicateDropped();
            return null;
        }
        s.lastSequence = event.getSequenceNumber();
        if (event.getStartsDocument()) {
            s.headCorrection = null; // what a document taught is not carried into the next
        }
        int[] tokens = StreamTokens.of(event, s.context.length > 0);
        s.bytePosition += event.getText().getBytes(StandardCharsets.UTF_8).length;
        float[] features = StreamTokens.features(event);
        if (features != null) {
            s.features = features;
        }
        return new Chunk(tokens, Prediction.newBuilder()
                .setStreamId(event.getStreamId())
                .setSequenceNumber(event.getSequenceNumber())
                .setBytePosition(s.bytePosition)
                .setEventTime(event.getEventTime()));
    }

    /** Before any model: the context is kept for the first one, nothing is scored. */
    private Prediction noModel(Chunk chunk, StreamInferenceState s) {
        s.context = appendContext(s.context, chunk.tokens);
        return chunk.prediction.setStatus(PredictionStatus.NO_MODEL).setEmittedAt(Instant.now()).build();
    }

    /** One stream's chunk read by its own session, token by token. */
    private Prediction predictAlone(Chunk chunk, StreamInferenceState s) {
        int[] tokens = chunk.tokens;
        InferenceSession session = sessionFor(s.features);
        boolean sameVersion = false;
        if (!goesOn(s)) {
            rebuild(session, s);
        } else {
            // The distribution is not kept in state: the head computes it again from the restored h.
            session.restore(s.state);
            sameVersion = s.modelVersion == served.version() && tokens.length > 0;
        }
        HeadCorrection correction = correctionOf(s);
        CodeLength score = new CodeLength();
        Double surprise = null;
        float[] next;
        if (tokens.length == 0) {
            next = session.nextDistribution(); // an empty chunk adds no token: its prediction is the stream's current one
        } else if (correction == null) {
            surprise = sameVersion ? CodeLength.bits(session.nextDistribution()[tokens[0]]) : null;
            next = session.feed(tokens, score);
        } else {
            float[] lnP = new float[tokens.length];
            int first = session.nextDistribution() == null ? 1 : 0; // a new stream's first token has none before it
            next = correction.read(session, served.config(), tokens, first, learnedFrom(tokens, first), adaptRate,
                    lnP);
            score.addLogProbabilities(lnP, first, tokens.length);
            surprise = sameVersion ? CodeLength.bitsOfLn(lnP[0]) : null;
        }
        float[] state = session.flatState();
        if (float16()) {
            next = rounded(session, state, next);
        }
        if (correction != null && next != null) {
            next = correction.distribution(next, RecurrentState.topHidden(served.config(), state));
        }
        // the continuation leaves the session's state as it was
        int[] continuation = next == null ? new int[0]
                : correction == null ? session.generate(settings.continuationLength(), 0.0, 0, ByteVocabulary.END, random)
                : continueGreedily(session, next, correction);

        return finish(chunk.prediction, s, tokens, state, next, continuation, surprise, score);
    }

    /** A greedy continuation from {@code next} with every distribution corrected; the session's state is kept. */
    private int[] continueGreedily(InferenceSession session, float[] next, HeadCorrection correction) {
        float[] saved = session.flatState();
        float[] savedNext = session.nextDistribution();
        int[] out = new int[settings.continuationLength()];
        int n = 0;
        float[] p = next;
        while (n < out.length) {
            int token = TokenSampler.greedy(p);
            out[n++] = token;
            if (token == ByteVocabulary.END || n == out.length) {
                break;
            }
            float[] model = session.feed(token);
            p = correction.distribution(model, RecurrentState.topHidden(served.config(), session.flatState()));
        }
        session.restore(saved, savedNext);
        return Arrays.copyOf(out, n);
    }

    /**
     * The first token a head correction learns from: the first scored, or the first after a {@code <start>} (a
     * document's first byte), so that a document's correction learns from its bytes alone.
     */
    private static int learnedFrom(int[] tokens, int firstScored) {
        int from = firstScored;
        for (int t = tokens.length - 1; t >= firstScored; t--) {
            if (tokens[t] == ByteVocabulary.START) {
                from = t + 1;
                break;
            }
        }
        return from;
    }

    /**
     * The stream's head correction, made with its first chunk (or for a model of another shape), on the first
     * {@code --adapt-head-units} values of the top layer's output; null when streams do not adapt. It lives in the
     * stream's state and changes there.
     */
    private HeadCorrection correctionOf(StreamInferenceState s) {
        if (adaptRate == 0) {
            return null;
        }
        int units = Math.min(settings.adaptHeadUnits(), served.config().hiddenSize());
        int vocab = served.config().vocabSize();
        if (!HeadCorrection.fits(s.headCorrection, units, vocab)) {
            s.headCorrection = HeadCorrection.zero(units, vocab).rows();
        }
        return HeadCorrection.of(s.headCorrection);
    }

    /**
     * Chunks of distinct streams read together by the batch stepper: a stream to be rebuilt reads its kept context
     * (not scored) before its chunk, in the same call; every other one goes on from its state.
     */
    private void predictBundled(List<Integer> bundled, Chunk[] chunks, List<StreamInferenceState> states,
            Prediction[] out) {
        int m = bundled.size();
        float[][] rows = new float[m][];     // [m][stateSize]: each stream's (h, c), stepped in place
        int[][] reads = new int[m][];        // [m][n]: what each stream reads: its context if rebuilt, its chunk
        int[] firstScored = new int[m];      // the first of them scored
        boolean[] surprised = new boolean[m]; // the chunk's first token was predicted by this version
        for (int j = 0; j < m; j++) {
            StreamInferenceState s = states.get(bundled.get(j));
            int[] tokens = chunks[bundled.get(j)].tokens;
            if (goesOn(s)) {
                rows[j] = s.state.clone();
                reads[j] = tokens;
                firstScored[j] = 0;
            } else {
                rows[j] = new float[batch.stateSize()];
                reads[j] = concat(s.context, tokens);
                // a new stream's first token has no distribution before it
                firstScored[j] = s.context.length > 0 ? s.context.length : 1;
                if (s.context.length > 0) {
                    listener.stateRebuilt();
                }
            }
            surprised[j] = s.state != null && s.modelVersion == served.version();
        }
        float[][] lnP = new float[m][];
        for (int j = 0; j < m; j++) {
            lnP[j] = new float[reads[j].length];
        }
        HeadCorrection[] corrections = adaptRate == 0 ? null : new HeadCorrection[m];
        float[][][] logits = new float[m][][]; // [m][n][V]: the model's logits before each token scored
        float[][][] tops = new float[m][][];   // [m][n][H]: the top layer's output there
        BatchStepper.LogitHook record = null;
        if (corrections != null) {
            for (int j = 0; j < m; j++) {
                corrections[j] = correctionOf(states.get(bundled.get(j)));
                logits[j] = new float[reads[j].length][];
                tops[j] = new float[reads[j].length][];
            }
            // corrected after the step, a chunk at a time: faster than a token at a time
            record = (j, t, z, h) -> {
                if (t >= firstScored[j] && t < reads[j].length) {
                    logits[j][t] = z.clone();
                    tops[j][t] = h;
                }
            };
        }
        float[][] next = batch.step(rows, reads, null, lnP, record);
        InferenceSession session = float16() ? sessionFor(null) : null; // bundled streams have no features
        for (int j = 0; j < m; j++) {
            if (float16()) {
                next[j] = rounded(session, rows[j], next[j]);
            }
            if (corrections != null) {
                corrections[j].scoreThenLearn(logits[j], tops[j], reads[j], firstScored[j],
                        learnedFrom(reads[j], firstScored[j]), reads[j].length, adaptRate, lnP[j]);
                // the next chunk's first token is scored after this step: so is the distribution shown (next[j] is
                // the model's own: the hook only recorded)
                next[j] = corrections[j].distribution(next[j], RecurrentState.topHidden(served.config(), rows[j]));
            }
        }
        BatchStepper.LogitHook corrected = corrections == null ? null
                : (j, t, z, h) -> corrections[j].correct(z, h);
        int[][] continuations = settings.continuationLength() == 0 ? new int[m][0]
                : batch.continueGreedily(rows, next, null, settings.continuationLength(), ByteVocabulary.END,
                        corrected);
        for (int j = 0; j < m; j++) {
            int i = bundled.get(j);
            CodeLength score = new CodeLength();
            score.addLogProbabilities(lnP[j], firstScored[j], reads[j].length);
            Double surprise = surprised[j] ? CodeLength.bitsOfLn(lnP[j][0]) : null;
            out[i] = finish(chunks[i].prediction, states.get(i), chunks[i].tokens, rows[j], next[j],
                    continuations[j], surprise, score);
        }
    }

    private boolean float16() {
        return settings.statePrecision() == InferenceSettings.StatePrecision.FLOAT16;
    }

    /**
     * Rounds {@code state} to float16 in place and, where there is a distribution ({@code next}), leaves
     * {@code session} at the rounded state and returns the distribution from it: the top-k and continuation a
     * prediction shows then come from the state the next chunk is scored from, so its surprise is -log2 of the
     * probability shown (one more head row per chunk).
     */
    private static float[] rounded(InferenceSession session, float[] state, float[] next) {
        HalfFloats.roundInPlace(state);
        if (next == null) {
            return null; // a new stream's empty chunk: nothing read yet
        }
        session.restore(state);
        return session.nextDistribution();
    }

    /** The stream's state after its chunk, and the chunk's prediction. */
    private Prediction finish(Prediction.Builder p, StreamInferenceState s, int[] tokens, float[] state, float[] next,
            int[] continuation, Double surprise, CodeLength score) {
        s.state = state;
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
                .setDraft(servedDraft)
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

    /**
     * Whether the stream's state goes on with the served weights: it was stepped by the served version, or by an
     * older one with {@code --on-new-version CARRY}; else it is rebuilt from the kept context.
     */
    private boolean goesOn(StreamInferenceState s) {
        return s.state != null && (s.modelVersion == served.version()
                || settings.onNewVersion() == InferenceSettings.OnNewVersion.CARRY && s.modelVersion < served.version());
    }

    /** Recomputes the stream's state from its kept context with the served model's weights. */
    private void rebuild(InferenceSession session, StreamInferenceState s) {
        if (s.context.length > 0) {
            session.feed(s.context);
            listener.stateRebuilt();
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    private int[] appendContext(int[] context, int[] tokens) {
        int keep = settings.contextBytes();
        int[] all = concat(context, tokens);
        return all.length <= keep ? all : Arrays.copyOfRange(all, all.length - keep, all.length);
    }
}
