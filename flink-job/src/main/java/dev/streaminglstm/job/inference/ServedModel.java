package dev.streaminglstm.job.inference;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.kernel.FastLanguageModel;
import dev.streaminglstm.core.format.StoredParameters;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.LanguageModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A model version ready to serve: its number, the network and its float parameters.
 *
 * @param version the store version
 */
record ServedModel(long version, LanguageModel model, ParameterSet parameters) {

    /**
     * Decodes a verified parameter file (its format checks version and checksum again).
     *
     * @param expected the shape the job's input fits (conditioning size among others)
     * @throws dev.streaminglstm.core.format.ModelFormatException if the file is unreadable or of another shape
     */
    static ServedModel decode(long version, byte[] parameterFile, ModelConfig expected) throws IOException {
        StoredParameters stored = ModelFile.read(new ByteArrayInputStream(parameterFile), expected);
        return new ServedModel(version, FastLanguageModel.create(stored.config()), stored.parameters().castTo(DataType.FLOAT));
    }
}
