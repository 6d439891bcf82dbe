package dev.streaminglstm.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** Parameters and per-stream states as flat float arrays: the form Flink state and messages carry. */
class ParameterSetTest {
    static final ModelConfig CONFIG = new ModelConfig(7, 3, 4, 2, CellType.LSTM, 2);

    @Test
    void flatFloatsRoundTripInCanonicalOrder() {
        ParameterSet p = ParameterSet.initialize(CONFIG, DataType.FLOAT, 9);
        float[] flat = p.toFlatFloats();
        assertThat(flat).hasSize((int) p.size());
        assertThat(flat[0]).isEqualTo(p.get(ParameterNames.EMBEDDING).getFloat(0, 0));
        assertThat(flat[1]).isEqualTo(p.get(ParameterNames.EMBEDDING).getFloat(0, 1));
        ParameterSet back = ParameterSet.fromFlatFloats(CONFIG, flat, DataType.FLOAT);
        for (String name : p.names()) {
            assertThat(back.get(name)).as(name).isEqualTo(p.get(name));
        }
        assertThatThrownBy(() -> ParameterSet.fromFlatFloats(CONFIG, Arrays.copyOf(flat, flat.length - 1), DataType.FLOAT))
                .hasMessageContaining("too short");
        assertThatThrownBy(() -> ParameterSet.fromFlatFloats(CONFIG, Arrays.copyOf(flat, flat.length + 1), DataType.FLOAT))
                .hasMessageContaining("the shape takes " + flat.length);
    }

    /** Arrays above one chunk of {@code NativeFloats}, so that chunk borders are crossed. */
    @Test
    void flatAdditionAndDifferenceGiveTheFloatsOfTheArrayOperations() {
        ModelConfig config = new ModelConfig(258, 16, 40, 2, CellType.LSTM, 0);
        ParameterSet p = ParameterSet.initialize(config, DataType.FLOAT, 3);
        ParameterSet q = ParameterSet.initialize(config, DataType.FLOAT, 4);
        float[] flat = q.toFlatFloats();
        for (double scale : new double[] {1, 1.0 / 3}) {
            ParameterSet viaArrays = p.copy().addi(ParameterSet.fromFlatFloats(config, flat, DataType.FLOAT).muli(scale));
            ParameterSet inPlace = p.copy().addFlat(flat, scale);
            assertThat(inPlace.toFlatFloats()).as("scale %s", scale).isEqualTo(viaArrays.toFlatFloats());
        }
        assertThat(p.minusFlat(q)).isEqualTo(p.copy().subi(q).toFlatFloats());
        ParameterSet doubles = p.castTo(DataType.DOUBLE); // not dense FLOAT: the ND4J path
        assertThat(doubles.minusFlat(q.castTo(DataType.DOUBLE))).isEqualTo(p.copy().subi(q).toFlatFloats());
        assertThat(doubles.addFlat(flat, 1).toFlatFloats()).isEqualTo(p.copy().addi(q).toFlatFloats());
        assertThatThrownBy(() -> p.addFlat(Arrays.copyOf(flat, flat.length - 1), 1))
                .hasMessageContaining("the shape takes " + flat.length);
    }

    @Test
    void theLstmForgetGateStartsOpen() {
        ParameterSet p = ParameterSet.initialize(CONFIG, DataType.DOUBLE, 1);
        double[] bias = p.get(ParameterNames.bias(0)).toDoubleVector();
        assertThat(Arrays.copyOfRange(bias, 0, 4)).containsOnly(0.0);
        assertThat(Arrays.copyOfRange(bias, 4, 8)).containsOnly(1.0);
        assertThat(Arrays.copyOfRange(bias, 8, 16)).containsOnly(0.0);
    }

    @Test
    void streamStatesRoundTripThroughRows() {
        RecurrentState zeros = RecurrentState.zeros(CONFIG, 3, DataType.FLOAT);
        float[] a = new float[RecurrentState.flatSize(CONFIG)];
        float[] c = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = i + 1;
            c[i] = -(i + 1);
        }
        RecurrentState stacked = RecurrentState.stack(CONFIG, Arrays.asList(a, null, c), DataType.FLOAT);
        assertThat(stacked.batch()).isEqualTo(3);
        assertThat(stacked.row(0)).isEqualTo(a);
        assertThat(stacked.row(1)).isEqualTo(zeros.row(1)).containsOnly(0f);
        assertThat(stacked.row(2)).isEqualTo(c);
        // layer 0: h then c, then layer 1
        assertThat(stacked.hidden(0).getFloat(0, 0)).isEqualTo(1f);
        assertThat(stacked.cell(0).getFloat(0, 0)).isEqualTo(5f);
        assertThat(stacked.hidden(1).getFloat(0, 0)).isEqualTo(9f);
        assertThatThrownBy(() -> RecurrentState.stack(CONFIG, List.of(new float[3]), DataType.FLOAT))
                .hasMessageContaining("expected " + a.length);
    }
}
