package dev.streaminglstm.core.model;

import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The state a batch of streams carries across windows: for each layer {@code h} and, for LSTM,
 * {@code c}, each {@code [batch, hidden]}. Row {@code b} belongs to stream {@code b}. Nothing
 * else crosses a window border.
 */
public final class RecurrentState {
    private final INDArray[] hidden;
    private final INDArray[] cell;

    private RecurrentState(INDArray[] hidden, INDArray[] cell) {
        this.hidden = hidden;
        this.cell = cell;
    }

    /** All-zero state (a fresh stream). */
    public static RecurrentState zeros(ModelConfig config, int batch, DataType type) {
        INDArray[] h = new INDArray[config.layers()];
        INDArray[] c = config.cellType().hasCellState() ? new INDArray[config.layers()] : null;
        for (int l = 0; l < config.layers(); l++) {
            h[l] = Nd4j.zeros(type, batch, config.hiddenSize());
            if (c != null) {
                c[l] = Nd4j.zeros(type, batch, config.hiddenSize());
            }
        }
        return new RecurrentState(h, c);
    }

    /** Wraps per-layer arrays; {@code cell} is null for RNN models. */
    public static RecurrentState of(INDArray[] hidden, INDArray[] cell) {
        return new RecurrentState(hidden, cell);
    }

    public int layers() {
        return hidden.length;
    }

    public int batch() {
        return (int) hidden[0].rows();
    }

    public INDArray hidden(int layer) {
        return hidden[layer];
    }

    /** The cell state of a layer, or null for an RNN. */
    public INDArray cell(int layer) {
        return cell == null ? null : cell[layer];
    }

    public boolean hasCell() {
        return cell != null;
    }

    public DataType dataType() {
        return hidden[0].dataType();
    }

    /** A deep copy. */
    public RecurrentState copy() {
        INDArray[] h = new INDArray[hidden.length];
        INDArray[] c = cell == null ? null : new INDArray[cell.length];
        for (int l = 0; l < hidden.length; l++) {
            h[l] = hidden[l].dup();
            if (c != null) {
                c[l] = cell[l].dup();
            }
        }
        return new RecurrentState(h, c);
    }

    /** Number of floats one stream's state takes: {@code layers * hidden * (lstm ? 2 : 1)}. */
    public static int flatSize(ModelConfig config) {
        return config.layers() * config.hiddenSize() * (config.cellType().hasCellState() ? 2 : 1);
    }

    /** The top layer's {@code h} of one stream's flat state ({@link #row}), a copy: what the head reads. */
    public static float[] topHidden(ModelConfig config, float[] row) {
        int from = flatSize(config) / config.layers() * (config.layers() - 1);
        return Arrays.copyOfRange(row, from, from + config.hiddenSize());
    }

    /**
     * One stream's state as a flat float array (layer by layer, h then c), the form kept in a
     * stream's keyed state.
     */
    public float[] row(int b) {
        int n = (int) hidden[0].columns();
        float[] out = new float[hidden.length * n * (cell == null ? 1 : 2)];
        int off = 0;
        for (int l = 0; l < hidden.length; l++) {
            off = copyRow(hidden[l], b, out, off, n);
            if (cell != null) {
                off = copyRow(cell[l], b, out, off, n);
            }
        }
        return out;
    }

    /**
     * Stacks per-stream flat states (see {@link #row}) into one batch state; a null entry is a
     * fresh (zero) stream.
     */
    public static RecurrentState stack(ModelConfig config, List<float[]> rows, DataType type) {
        int batch = rows.size();
        int n = config.hiddenSize();
        boolean lstm = config.cellType().hasCellState();
        int expected = flatSize(config);
        float[][] h = new float[config.layers()][batch * n];
        float[][] c = lstm ? new float[config.layers()][batch * n] : null;
        for (int b = 0; b < batch; b++) {
            float[] row = rows.get(b);
            if (row == null) {
                continue;
            }
            if (row.length != expected) {
                throw new IllegalArgumentException(
                        "stream state of " + row.length + " floats, expected " + expected);
            }
            int off = 0;
            for (int l = 0; l < config.layers(); l++) {
                System.arraycopy(row, off, h[l], b * n, n);
                off += n;
                if (lstm) {
                    System.arraycopy(row, off, c[l], b * n, n);
                    off += n;
                }
            }
        }
        INDArray[] hs = new INDArray[config.layers()];
        INDArray[] cs = lstm ? new INDArray[config.layers()] : null;
        for (int l = 0; l < config.layers(); l++) {
            hs[l] = Nd4j.create(h[l], new long[] {batch, n}, 'c').castTo(type);
            if (lstm) {
                cs[l] = Nd4j.create(c[l], new long[] {batch, n}, 'c').castTo(type);
            }
        }
        return new RecurrentState(hs, cs);
    }

    private static int copyRow(INDArray a, int b, float[] out, int off, int n) {
        float[] values = a.getRow(b).castTo(DataType.FLOAT).toFloatVector();
        System.arraycopy(values, 0, out, off, n);
        return off + n;
    }
}
