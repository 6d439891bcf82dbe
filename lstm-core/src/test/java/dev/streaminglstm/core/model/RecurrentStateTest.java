package dev.streaminglstm.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RecurrentStateTest {

    @Test
    void theTopHiddenOfAFlatRowIsTheLastLayersH() {
        // two layers of 3: h0, c0, h1, c1 for an LSTM; h0, h1 for a plain RNN
        ModelConfig lstm = new ModelConfig(10, 2, 3, 2, CellType.LSTM, 0);
        ModelConfig rnn = new ModelConfig(10, 2, 3, 2, CellType.RNN, 0);
        float[] lstmRow = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        float[] rnnRow = {1, 2, 3, 4, 5, 6};

        assertThat(RecurrentState.topHidden(lstm, lstmRow)).containsExactly(7, 8, 9);
        assertThat(RecurrentState.topHidden(rnn, rnnRow)).containsExactly(4, 5, 6);
    }
}
