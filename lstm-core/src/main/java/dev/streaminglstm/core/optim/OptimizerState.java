package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.model.ParameterSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything an optimiser carries between steps, for a checkpoint: restoring it with
 * {@link Optimizer#restore} continues bit for bit as if never interrupted. Serialised by
 * {@link OptimizerStateCodec}.
 *
 * @param kind the update rule the state belongs to
 * @param stepsApplied steps that updated the parameters; Adam's step count {@code t}
 * @param stepsSkipped steps skipped for a non-finite loss or gradient
 * @param moments the moment arrays by name, exactly {@link OptimizerKind#momentNames()} in that
 *     order, all of one shape and data type (none for SGD)
 */
public record OptimizerState(
        OptimizerKind kind, long stepsApplied, long stepsSkipped, Map<String, ParameterSet> moments) {

    public OptimizerState {
        if (kind == null) {
            throw new IllegalArgumentException("optimizer kind must be given");
        }
        if (stepsApplied < 0 || stepsSkipped < 0) {
            throw new IllegalArgumentException(
                    "step counters must not be negative, were " + stepsApplied + " and " + stepsSkipped);
        }
        if (!new ArrayList<>(moments.keySet()).equals(kind.momentNames())) {
            throw new IllegalArgumentException(
                    kind + " keeps moments " + kind.momentNames() + ", given " + moments.keySet());
        }
        ParameterSet first = moments.isEmpty() ? null : moments.values().iterator().next();
        for (Map.Entry<String, ParameterSet> e : moments.entrySet()) {
            ParameterSet m = e.getValue();
            if (!m.config().equals(first.config()) || m.dataType() != first.dataType()) {
                throw new IllegalArgumentException("moment '" + e.getKey() + "' differs in shape or type from the others");
            }
        }
        moments = Collections.unmodifiableMap(new LinkedHashMap<>(moments));
    }
}
