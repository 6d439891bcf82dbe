package dev.streaminglstm.core.format;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import java.io.IOException;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * What a stored set of arrays holds: the model's shape and the floating type of its values. Its
 * binary form (cell type, vocab, embed, hidden, layers, conditioning size, data type) is part of
 * the header of the parameter file and of the serialised optimiser state.
 *
 * @param config the model's shape
 * @param dataType {@link DataType#FLOAT} or {@link DataType#DOUBLE}
 */
public record ParameterHeader(ModelConfig config, DataType dataType) {

    private static final int MAX_NAME_BYTES = 64;

    public ParameterHeader {
        if (config == null) {
            throw new IllegalArgumentException("config must be given");
        }
        requireStorable(dataType);
    }

    /**
     * Checks that arrays of this type can be stored.
     *
     * @throws IllegalArgumentException unless FLOAT or DOUBLE
     */
    public static DataType requireStorable(DataType dataType) {
        if (dataType != DataType.FLOAT && dataType != DataType.DOUBLE) {
            throw new IllegalArgumentException("only FLOAT and DOUBLE arrays can be stored, not " + dataType);
        }
        return dataType;
    }

    /** Bytes one value takes. */
    public int bytesPerValue() {
        return dataType == DataType.FLOAT ? Float.BYTES : Double.BYTES;
    }

    public void write(ChecksummedOutput out) throws IOException {
        out.writeString(config.cellType().name(), MAX_NAME_BYTES, "cell type");
        out.writeInt(config.vocabSize());
        out.writeInt(config.embedSize());
        out.writeInt(config.hiddenSize());
        out.writeInt(config.layers());
        out.writeInt(config.conditioningSize());
        out.writeString(dataType.name(), MAX_NAME_BYTES, "data type");
    }

    /**
     * Reads the form {@link #write} wrote.
     *
     * @throws ModelFormatException for an unknown cell or data type, or sizes no model can have
     */
    public static ParameterHeader read(ChecksummedInput in) throws IOException {
        String cell = in.readString(MAX_NAME_BYTES, "cell type");
        int vocab = in.readInt();
        int embed = in.readInt();
        int hidden = in.readInt();
        int layers = in.readInt();
        int conditioning = in.readInt();
        String type = in.readString(MAX_NAME_BYTES, "data type");
        CellType cellType = Arrays.stream(CellType.values())
                .filter(c -> c.name().equals(cell))
                .findFirst()
                .orElseThrow(() -> new ModelFormatException(
                        "unknown cell type '" + cell + "'; this build reads " + Arrays.toString(CellType.values())));
        DataType dataType;
        if (type.equals(DataType.FLOAT.name())) {
            dataType = DataType.FLOAT;
        } else if (type.equals(DataType.DOUBLE.name())) {
            dataType = DataType.DOUBLE;
        } else {
            throw new ModelFormatException("unknown data type '" + type + "'; expected FLOAT or DOUBLE");
        }
        try {
            return new ParameterHeader(new ModelConfig(vocab, embed, hidden, layers, cellType, conditioning), dataType);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("the header holds an impossible model shape: " + e.getMessage(), e);
        }
    }

    /** A model shape as a person reads it, for messages. */
    public static String describe(ModelConfig config) {
        return config.cellType() + " vocab=" + config.vocabSize() + " embed=" + config.embedSize()
                + " hidden=" + config.hiddenSize() + " layers=" + config.layers()
                + " conditioning=" + config.conditioningSize();
    }
}
