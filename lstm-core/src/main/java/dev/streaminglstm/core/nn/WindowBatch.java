package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One window of {@code T + 1} tokens from each of {@code B} independent streams: tokens
 * {@code 0..T-1} are inputs, tokens {@code 1..T} their targets. Each stream starts from its own
 * carried state unless its reset flag is set; a {@code <start>} token zeroes its stream's state
 * before the step that reads it.
 *
 * @param tokens {@code [B][T + 1]} token ids
 * @param reset per stream: start from a zero state
 * @param conditioning per-stream conditioning vectors {@code [B][K]}, or null for unconditioned models
 * @param startToken the id that opens a document (its state is zeroed before it), or -1 for none
 */
public record WindowBatch(int[][] tokens, boolean[] reset, float[][] conditioning, int startToken) {

    public WindowBatch {
        if (tokens == null || tokens.length == 0) {
            throw new IllegalArgumentException("a window batch needs at least one stream");
        }
        int length = tokens[0].length;
        if (length < 2) {
            throw new IllegalArgumentException("a window needs at least 2 tokens (T + 1 with T >= 1), got " + length);
        }
        for (int b = 0; b < tokens.length; b++) {
            if (tokens[b].length != length) {
                throw new IllegalArgumentException("stream " + b + " has " + tokens[b].length
                        + " tokens but stream 0 has " + length + ": all windows of a batch have the same T");
            }
        }
        if (reset == null) {
            reset = new boolean[tokens.length];
        } else if (reset.length != tokens.length) {
            throw new IllegalArgumentException("reset flags for " + reset.length + " streams, batch of " + tokens.length);
        }
        if (conditioning != null && conditioning.length != tokens.length) {
            throw new IllegalArgumentException(
                    "conditioning for " + conditioning.length + " streams, batch of " + tokens.length);
        }
    }

    /** A batch without resets or conditioning, where {@code startToken} zeroes the state. */
    public static WindowBatch of(int startToken, int[]... tokens) {
        return new WindowBatch(tokens, null, null, startToken);
    }

    /** Number of streams B. */
    public int batch() {
        return tokens.length;
    }

    /** Number of predicted positions T per stream. */
    public int steps() {
        return tokens[0].length - 1;
    }

    /** Input ids, time-major: entry {@code t * B + b} is {@code tokens[b][t]}. */
    public int[] inputsTimeMajor() {
        return timeMajor(0);
    }

    /** Target ids, time-major: entry {@code t * B + b} is {@code tokens[b][t + 1]}. */
    public int[] targetsTimeMajor() {
        return timeMajor(1);
    }

    /** {@code [T * B, 1]}: 0 where a stream's state is zeroed before the step, else 1. */
    public INDArray keepMask(DataType type) {
        int batch = batch();
        int steps = steps();
        float[] keep = new float[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                boolean fresh = (t == 0 && reset[b]) || tokens[b][t] == startToken;
                keep[t * batch + b] = fresh ? 0f : 1f;
            }
        }
        return Nd4j.create(keep, new long[] {(long) steps * batch, 1}, 'c').castTo(type);
    }

    /** The conditioning vectors as {@code [B, K]}, or null. */
    public INDArray conditioningArray(DataType type, int size) {
        if (conditioning == null) {
            if (size > 0) {
                throw new IllegalArgumentException("the model is conditioned on vectors of " + size
                        + " but the batch has none");
            }
            return null;
        }
        if (size == 0) {
            throw new IllegalArgumentException("the batch has conditioning vectors but the model takes none");
        }
        float[] flat = new float[batch() * size];
        for (int b = 0; b < batch(); b++) {
            if (conditioning[b] == null || conditioning[b].length != size) {
                throw new IllegalArgumentException("stream " + b + " has a conditioning vector of "
                        + (conditioning[b] == null ? 0 : conditioning[b].length) + " values, the model takes " + size);
            }
            System.arraycopy(conditioning[b], 0, flat, b * size, size);
        }
        return Nd4j.create(flat, new long[] {batch(), size}, 'c').castTo(type);
    }

    private int[] timeMajor(int offset) {
        int batch = batch();
        int steps = steps();
        int[] out = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int b = 0; b < batch; b++) {
                out[t * batch + b] = tokens[b][t + offset];
            }
        }
        return out;
    }
}
