package dev.streaminglstm.core.model;

import java.io.Serializable;

/**
 * The shape of a language model: a token embedding, {@code layers} stacked recurrent layers of
 * {@code hiddenSize} units, an optional per-sequence conditioning vector added to every layer's
 * pre-activations at every step, and a linear softmax head over the vocabulary.
 *
 * @param vocabSize number of token ids (258 for the byte vocabulary)
 * @param embedSize width of the embedding rows fed to the first layer
 * @param hiddenSize units per recurrent layer
 * @param layers number of stacked recurrent layers
 * @param cellType the recurrent cell of every layer
 * @param conditioningSize length of the conditioning vector, 0 for none
 */
public record ModelConfig(
        int vocabSize, int embedSize, int hiddenSize, int layers, CellType cellType, int conditioningSize)
        implements Serializable {

    /** Largest accepted size of any one dimension; guards against reading absurd headers. */
    public static final int MAX_DIMENSION = 1 << 20;

    public ModelConfig {
        requireRange("vocabSize", vocabSize, 2);
        requireRange("embedSize", embedSize, 1);
        requireRange("hiddenSize", hiddenSize, 1);
        if (layers < 1 || layers > 64) {
            throw new IllegalArgumentException("layers must be in [1, 64], was " + layers);
        }
        if (cellType == null) {
            throw new IllegalArgumentException("cellType must be given");
        }
        if (conditioningSize < 0 || conditioningSize > MAX_DIMENSION) {
            throw new IllegalArgumentException(
                    "conditioningSize must be in [0, " + MAX_DIMENSION + "], was " + conditioningSize);
        }
    }

    /** A one-layer LSTM without conditioning. */
    public static ModelConfig lstm(int vocabSize, int embedSize, int hiddenSize) {
        return new ModelConfig(vocabSize, embedSize, hiddenSize, 1, CellType.LSTM, 0);
    }

    /** Width of the input of layer {@code layer}: the embedding for the first, {@code hiddenSize} above. */
    public int inputSize(int layer) {
        return layer == 0 ? embedSize : hiddenSize;
    }

    /** Width of one step's pre-activations: {@code blocks * hiddenSize}. */
    public int gateWidth() {
        return cellType.blocks() * hiddenSize;
    }

    /** Whether each sequence carries a conditioning vector. */
    public boolean conditioned() {
        return conditioningSize > 0;
    }

    /** The same model with another number of layers. */
    public ModelConfig withLayers(int newLayers) {
        return new ModelConfig(vocabSize, embedSize, hiddenSize, newLayers, cellType, conditioningSize);
    }

    /** The same model with another cell. */
    public ModelConfig withCell(CellType newCell) {
        return new ModelConfig(vocabSize, embedSize, hiddenSize, layers, newCell, conditioningSize);
    }

    /** The same model with a conditioning vector of the given size. */
    public ModelConfig withConditioning(int size) {
        return new ModelConfig(vocabSize, embedSize, hiddenSize, layers, cellType, size);
    }

    private static void requireRange(String name, int value, int min) {
        if (value < min || value > MAX_DIMENSION) {
            throw new IllegalArgumentException(
                    name + " must be in [" + min + ", " + MAX_DIMENSION + "], was " + value);
        }
    }
}
