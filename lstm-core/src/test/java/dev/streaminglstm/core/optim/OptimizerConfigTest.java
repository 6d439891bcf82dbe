package dev.streaminglstm.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OptimizerConfigTest {

    @Test
    void factoriesUseTheDefaults() {
        OptimizerConfig adam = OptimizerConfig.adam(1e-3, 5);
        assertThat(adam.kind()).isEqualTo(OptimizerKind.ADAM);
        assertThat(adam.beta1()).isEqualTo(0.9);
        assertThat(adam.beta2()).isEqualTo(0.999);
        assertThat(adam.epsilon()).isEqualTo(1e-8);
        assertThat(adam.clips()).isTrue();
        assertThat(OptimizerConfig.sgd(0.1, 0).clips()).isFalse();
        assertThat(OptimizerConfig.adagrad(0.1, -1).clips()).isFalse();
    }

    @Test
    void mapRoundTripKeepsEveryValueExactly() {
        OptimizerConfig config = new OptimizerConfig(OptimizerKind.ADAM, 0.1 + 0.2, 1.0 / 3, 0.85, 0.9995, 3e-9);
        Map<String, String> map = new HashMap<>(config.toMap());
        map.put("training.windowLength", "64"); // other settings share the map
        assertThat(OptimizerConfig.fromMap(map)).isEqualTo(config);
        assertThat(config.toMap()).containsEntry("optimizer.kind", "ADAM")
                .containsEntry("optimizer.learningRate", "0.30000000000000004");
    }

    @Test
    void fromMapNamesWhatIsMissingOrMalformed() {
        Map<String, String> map = new HashMap<>(OptimizerConfig.adagrad(0.1, 5).toMap());
        map.remove("optimizer.clipNorm");
        assertThatThrownBy(() -> OptimizerConfig.fromMap(map))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("missing optimizer setting 'optimizer.clipNorm'");
        map.put("optimizer.clipNorm", "five");
        assertThatThrownBy(() -> OptimizerConfig.fromMap(map))
                .hasMessage("optimizer setting 'optimizer.clipNorm' is not a number: 'five'");
        map.put("optimizer.clipNorm", "5");
        map.put("optimizer.kind", "RMSPROP");
        assertThatThrownBy(() -> OptimizerConfig.fromMap(map))
                .hasMessage("optimizer setting 'optimizer.kind' is 'RMSPROP', expected one of [SGD, ADAGRAD, ADAM]");
        map.put("optimizer.kind", "SGD");
        map.put("optimizer.learningRate", "-0.1");
        assertThatThrownBy(() -> OptimizerConfig.fromMap(map))
                .hasMessage("learningRate must be finite and positive, was -0.1");
    }

    @Test
    void rejectsInvalidSettings() {
        assertThatThrownBy(() -> OptimizerConfig.sgd(Double.NaN, 0))
                .hasMessage("learningRate must be finite and positive, was NaN");
        assertThatThrownBy(() -> OptimizerConfig.sgd(0.1, Double.POSITIVE_INFINITY))
                .hasMessage("clipNorm must be finite (0 or less for no clipping), was Infinity");
        assertThatThrownBy(() -> new OptimizerConfig(OptimizerKind.ADAM, 0.1, 0, 1.0, 0.999, 1e-8))
                .hasMessage("beta1 must be in [0, 1), was 1.0");
        assertThatThrownBy(() -> new OptimizerConfig(OptimizerKind.ADAM, 0.1, 0, 0.9, 0.999, 0))
                .hasMessage("epsilon must be finite and positive, was 0.0");
    }
}
