package dev.streaminglstm.core.nn;

import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The arrays of one recurrent layer: input weights {@code Wx [in, G]}, recurrent weights
 * {@code Wh [hidden, G]}, bias {@code b [1, G]} and, for conditioned models, conditioning weights
 * {@code Wv [K, G]} (null otherwise). {@code G} is the gate width. The same record views
 * parameters or their gradients.
 */
public record LayerWeights(INDArray inputWeights, INDArray recurrentWeights, INDArray bias, INDArray conditioningWeights) {

    /** The arrays of layer {@code layer} in a parameter (or gradient) set. */
    public static LayerWeights of(ParameterSet set, int layer) {
        return new LayerWeights(
                set.get(ParameterNames.inputWeights(layer)),
                set.get(ParameterNames.recurrentWeights(layer)),
                set.get(ParameterNames.bias(layer)),
                set.config().conditioned() ? set.get(ParameterNames.conditioningWeights(layer)) : null);
    }
}
