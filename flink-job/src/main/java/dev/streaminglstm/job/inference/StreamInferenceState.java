package dev.streaminglstm.job.inference;

/**
 * What the inference operator keeps per stream, in keyed state, stored by {@link StreamInferenceStateSerializer}:
 * {@link #next} is not stored, the context takes about a byte per token. A new field must be added to that
 * serializer too ({@code StreamInferenceStateSerializerTest} fails until it is).
 */
public class StreamInferenceState {
    /** The stream's (h, c), flat, last stepped by {@link #modelVersion}'s weights; null before any. */
    public float[] state;
    /** The model version {@link #state} and {@link #next} belong to; 0 for none. */
    public long modelVersion;
    /**
     * The last tokens of the stream (at most the configured context), to rebuild state after a model swap; stored as
     * one byte per token id below 255, two bytes for 255 and the markers.
     */
    public int[] context = new int[0];
    /**
     * The distribution the model gave for the stream's next token, or null. Not stored: {@link StreamPredictor}
     * computes it again from {@link #state} (258 floats would be a third of the state).
     */
    public float[] next;
    public long lastSequence = Long.MIN_VALUE;
    /** Bytes of the stream seen so far. */
    public long bytePosition;
    /** The stream's latest conditioning vector, or null. */
    public float[] features;
    /**
     * The stream's own correction of the softmax layer learnt with {@code --adapt-head-rate}
     * ({@code HeadCorrection#rows}, {@code [H + 1][258]}), or null for none yet.
     */
    public float[][] headCorrection;
    /** Prequential code length of the stream so far: bits of the tokens scored, and how many. */
    public double scoredBits;
    public long scoredTokens;

    public StreamInferenceState() {}
}
