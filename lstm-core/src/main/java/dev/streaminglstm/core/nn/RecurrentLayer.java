package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One recurrent layer over a window, with its backward pass written out. Forward runs from the
 * carried state; backward propagates inside the window only and returns the gradients of the
 * layer's input and of the carried state.
 */
public interface RecurrentLayer {

    /**
     * Runs the window forward.
     *
     * @param weights the layer's parameters
     * @param in the window's input
     * @param h0 carried hidden state {@code [batch, hidden]}
     * @param c0 carried cell state, or null for cells without one
     * @return everything backward needs, and the outputs
     */
    Trace forward(LayerWeights weights, SequenceInput in, INDArray h0, INDArray c0);

    /**
     * Backpropagates {@code dOutput [steps * batch, hidden]} (the loss gradient of every output)
     * through the window, adding parameter gradients into {@code gradients}.
     */
    Backward backward(LayerWeights weights, Trace trace, INDArray dOutput, LayerWeights gradients);

    /** What forward keeps: the outputs and the intermediate values backward reads. */
    interface Trace {
        /** Hidden outputs of every step, {@code [steps * batch, hidden]}. */
        INDArray output();

        /** The hidden state after the last step, {@code [batch, hidden]}. */
        INDArray lastHidden();

        /** The cell state after the last step, or null. */
        INDArray lastCell();

        /**
         * Says that nothing will read this trace again, nor any array it or a backward pass over it
         * gave out: an implementation may reuse their memory. Callers that do not call it leave
         * the memory to the garbage collector.
         */
        default void release() {}
    }

    /**
     * Gradients leaving a layer's backward pass: of the input rows, or, when the input was token
     * embeddings ({@link SequenceInput#tokens()}) and the layer chose to, of the embedding table.
     *
     * @param dInput gradient of the layer's input {@code [steps * batch, inputSize]}, or null when
     *     {@code dTable} is given instead
     * @param dHidden0 gradient of the carried hidden state
     * @param dCell0 gradient of the carried cell state, or null
     * @param dTable gradient of the embedding table {@code [vocab, inputSize]} the input rows came
     *     from, or null
     */
    record Backward(INDArray dInput, INDArray dHidden0, INDArray dCell0, INDArray dTable) {
        /** Gradients of the input rows and of the carried state. */
        public Backward(INDArray dInput, INDArray dHidden0, INDArray dCell0) {
            this(dInput, dHidden0, dCell0, null);
        }
    }
}
