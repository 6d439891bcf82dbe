package dev.streaminglstm.core.nn;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Token embedding: a one-hot vector times the table {@code [vocab, embed]}, done as a row lookup.
 * Its gradient is the transposed one-hot matrix times the rows' gradients: one matrix product
 * that adds every occurrence of a token into its row.
 */
public final class Embedding {
    private Embedding() {}

    /** Rows {@code ids[n]} of the table, {@code [ids.length, embed]}. */
    public static INDArray lookup(INDArray table, int[] ids) {
        requireIds(ids, table.rows());
        return Nd4j.pullRows(table, 1, ids);
    }

    /** Adds {@code dRows[n]} into {@code gradTable[ids[n]]} for every n. */
    public static void accumulateGradient(INDArray gradTable, int[] ids, INDArray dRows) {
        INDArray oneHot = oneHot(ids, (int) gradTable.rows(), gradTable.dataType());
        Nd4j.gemm(oneHot, dRows, gradTable, true, false, 1.0, 1.0);
    }

    /** The one-hot matrix {@code [ids.length, vocab]} of the ids. */
    public static INDArray oneHot(int[] ids, int vocab, DataType type) {
        requireIds(ids, vocab);
        float[] values = new float[ids.length * vocab];
        for (int n = 0; n < ids.length; n++) {
            values[n * vocab + ids[n]] = 1f;
        }
        INDArray a = Nd4j.create(values, new long[] {ids.length, vocab}, 'c');
        return type == DataType.FLOAT ? a : a.castTo(type);
    }

    /**
     * Checks that every id is a row of a table of {@code vocab} rows.
     *
     * @throws IllegalArgumentException naming the first id outside {@code [0, vocab)}
     */
    public static void requireIds(int[] ids, long vocab) {
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocab + ")");
            }
        }
    }
}
