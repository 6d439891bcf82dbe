package dev.streaminglstm.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.format.ParameterBits;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;

class OptimizerStateCodecTest {
    private static final ModelConfig MODEL = new ModelConfig(4, 2, 2, 1, CellType.RNN, 1);

    private static OptimizerState trained(OptimizerKind kind, DataType type) {
        OptimizerConfig config = OptimizerTest.config(kind, 1);
        Optimizer optimizer = Optimizer.create(config, MODEL, type);
        ParameterSet params = TestArrays.random(MODEL, type, 1, 1.0);
        optimizer.step(params, TestArrays.random(MODEL, type, 2, 1.0), 1.0);
        optimizer.step(params, TestArrays.random(MODEL, type, 3, 1.0), Double.NaN);
        optimizer.step(params, TestArrays.random(MODEL, type, 4, 1.0), 1.0);
        return optimizer.exportState();
    }

    @ParameterizedTest
    @EnumSource(OptimizerKind.class)
    void roundTripIsBitExact(OptimizerKind kind) throws ModelFormatException {
        for (DataType type : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            OptimizerState state = trained(kind, type);
            OptimizerState back = OptimizerStateCodec.fromBytes(OptimizerStateCodec.toBytes(state));
            assertThat(back.kind()).isEqualTo(kind);
            assertThat(back.stepsApplied()).isEqualTo(2);
            assertThat(back.stepsSkipped()).isEqualTo(1);
            assertThat(back.moments().keySet()).containsExactlyElementsOf(kind.momentNames());
            state.moments().forEach((name, moment) -> {
                assertThat(back.moments().get(name).dataType()).isEqualTo(type);
                Map<String, long[]> expected = ParameterBits.of(moment);
                ParameterBits.of(back.moments().get(name)).forEach((array, bits) ->
                        assertThat(bits).as("%s %s", name, array).containsExactly(expected.get(array)));
            });
        }
    }

    @ParameterizedTest
    @EnumSource(OptimizerKind.class)
    void everyTruncationAndEveryFlippedByteIsRejected(OptimizerKind kind) {
        byte[] bytes = OptimizerStateCodec.toBytes(trained(kind, DataType.FLOAT));
        for (int length = 0; length < bytes.length; length++) {
            byte[] cut = Arrays.copyOf(bytes, length);
            assertThat(catchThrowable(() -> OptimizerStateCodec.fromBytes(cut)))
                    .as("cut to %d of %d", length, bytes.length)
                    .isExactlyInstanceOf(ModelFormatException.class);
        }
        for (int offset = 0; offset < bytes.length; offset++) {
            byte[] damaged = bytes.clone();
            damaged[offset] ^= 0x10;
            assertThat(catchThrowable(() -> OptimizerStateCodec.fromBytes(damaged)))
                    .as("byte %d flipped", offset)
                    .isExactlyInstanceOf(ModelFormatException.class);
        }
    }

    @Test
    void namesWhatIsWrong() {
        byte[] bytes = OptimizerStateCodec.toBytes(trained(OptimizerKind.ADAM, DataType.FLOAT));
        assertThatThrownBy(() -> OptimizerStateCodec.fromBytes(Arrays.copyOf(bytes, bytes.length - 3)))
                .hasMessage("optimizer state ends after " + (bytes.length - 3) + " bytes, expected " + bytes.length);
        assertThatThrownBy(() -> OptimizerStateCodec.fromBytes(Arrays.copyOf(bytes, bytes.length + 2)))
                .hasMessage("optimizer state has 2 unexpected bytes after its checksum");
        byte[] otherVersion = bytes.clone();
        ByteBuffer.wrap(otherVersion).putInt(8, 2);
        assertThatThrownBy(() -> OptimizerStateCodec.fromBytes(otherVersion))
                .hasMessage("optimizer state format version 2 is not supported; this build reads 1");
        byte[] parameterFile = "SLSTMPRM and more".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> OptimizerStateCodec.fromBytes(parameterFile))
                .hasMessage("not a streaming-lstm optimizer state (bad magic number)");
        byte[] damaged = bytes.clone();
        damaged[bytes.length - 6] ^= 1;
        assertThatThrownBy(() -> OptimizerStateCodec.fromBytes(damaged)).hasMessageStartingWith("checksum mismatch");
    }
}
