package dev.streaminglstm.core.model;

/** The recurrent cell of every layer of a model. */
public enum CellType {
    /** Vanilla RNN: {@code h_t = tanh(Wx x_t + Wh h_{t-1} + b)}. One block of pre-activations. */
    RNN(1),
    /** LSTM with gates in the order i, f, g, o and forget-gate bias initialised to 1. */
    LSTM(4);

    private final int blocks;

    CellType(int blocks) {
        this.blocks = blocks;
    }

    /** How many blocks of {@code hidden} pre-activations one step computes (4 for LSTM, 1 for RNN). */
    public int blocks() {
        return blocks;
    }

    /** Whether the cell carries a cell state {@code c} besides {@code h}. */
    public boolean hasCellState() {
        return this == LSTM;
    }
}
