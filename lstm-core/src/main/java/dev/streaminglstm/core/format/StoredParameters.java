package dev.streaminglstm.core.format;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a parameter file holds, as read by {@link ModelFile#read}.
 *
 * @param config the model's shape
 * @param hyperParameters the free-form settings stored with the model (optimiser, training), sorted by key
 * @param parameters the model's arrays, in the file's data type
 * @param formatVersion the version of the file's layout
 */
public record StoredParameters(
        ModelConfig config, Map<String, String> hyperParameters, ParameterSet parameters, int formatVersion) {

    public StoredParameters {
        hyperParameters = Collections.unmodifiableSortedMap(new TreeMap<>(hyperParameters));
    }
}
