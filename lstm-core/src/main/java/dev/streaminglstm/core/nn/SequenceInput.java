package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What a recurrent layer reads for one window of {@code steps} steps over {@code batch} streams,
 * time-major: row {@code t * batch + b} is stream {@code b} at step {@code t}.
 *
 * @param input {@code [steps * batch, inputSize]}
 * @param keep {@code [steps * batch, 1]}: 1 to carry the previous state into the step, 0 to start
 *     that stream afresh (a reset flag or a {@code <start>} token)
 * @param conditioning {@code [batch, K]} per-stream conditioning vectors, or null
 * @param steps number of time steps
 * @param batch number of streams
 * @param tokens when the input rows are embedding rows (the first layer), the table and the ids they
 *     were looked up by, else null; a layer may then work on the ids and give the table's gradient
 *     back ({@link RecurrentLayer.Backward#dTable()})
 */
public record SequenceInput(INDArray input, INDArray keep, INDArray conditioning, int steps, int batch,
        TokenInput tokens) {

    /** An input that is not a token embedding. */
    public SequenceInput(INDArray input, INDArray keep, INDArray conditioning, int steps, int batch) {
        this(input, keep, conditioning, steps, batch, null);
    }

    /**
     * Input rows that are rows of an embedding table: row {@code n} of the input is row
     * {@code ids[n]} of {@code table [vocab, inputSize]}.
     */
    public record TokenInput(INDArray table, int[] ids) {}

    /** Rows {@code [t * batch, (t + 1) * batch)} of a time-major array: a view, not a copy. */
    public static INDArray step(INDArray timeMajor, int t, int batch) {
        return timeMajor.get(
                org.nd4j.linalg.indexing.NDArrayIndex.interval((long) t * batch, (long) (t + 1) * batch),
                org.nd4j.linalg.indexing.NDArrayIndex.all());
    }
}
