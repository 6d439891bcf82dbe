package dev.streaminglstm.core.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

class HeadCorrectionTest {
    private static final int HIDDEN = 6;
    private static final int VOCAB = 11;
    private static final int[] TARGETS = {3, 7, 3};

    @Test
    void aZeroCorrectionScoresWithTheModelsOwnDistribution() {
        float[][] logits = randomRows(new Random(1), TARGETS.length, VOCAB, 2);
        float[][] h = randomRows(new Random(2), TARGETS.length, HIDDEN, 1);
        float[] lnP = new float[TARGETS.length];

        HeadCorrection.zero(HIDDEN, VOCAB).scoreThenLearn(copy(logits), h, TARGETS, 0, 0, TARGETS.length, 0.1f, lnP);

        for (int t = 0; t < TARGETS.length; t++) {
            assertThat((double) lnP[t]).isCloseTo(logSoftmax(logits[t])[TARGETS[t]], within(1e-5));
        }
    }

    @Test
    void theStepIsMinusTheRateTimesTheGradientOfTheChunksLoss() {
        Random random = new Random(3);
        float[][] logits = randomRows(random, TARGETS.length, VOCAB, 2);
        float[][] h = randomRows(random, TARGETS.length, HIDDEN, 1);
        float[][] values = randomRows(random, HIDDEN + 1, VOCAB, 0.3);
        HeadCorrection correction = HeadCorrection.of(copy(values));
        float rate = 0.01f;

        correction.scoreThenLearn(copy(logits), h, TARGETS, 0, 0, TARGETS.length, rate, new float[TARGETS.length]);

        // dW[7][2] (row 2 of the transposed layout, column 7), dW[0][4], and db[3] (the last row)
        for (int[] at : new int[][] {{2, 7}, {4, 0}, {HIDDEN, 3}}) {
            double step = correction.rows()[at[0]][at[1]] - values[at[0]][at[1]];
            assertThat(step / -rate).isCloseTo(numericGradient(values, at, logits, h), within(2e-3));
        }
    }

    @Test
    void onlyTheTokensGivenAreScoredAndLearntFrom() {
        Random random = new Random(4);
        float[][] logits = randomRows(random, TARGETS.length, VOCAB, 2);
        float[][] h = randomRows(random, TARGETS.length, HIDDEN, 1);
        HeadCorrection all = HeadCorrection.zero(HIDDEN, VOCAB);
        HeadCorrection last = HeadCorrection.zero(HIDDEN, VOCAB);
        float[] lnP = new float[TARGETS.length];

        all.scoreThenLearn(copy(logits), h, TARGETS, 0, 2, 3, 0.5f, new float[TARGETS.length]);
        last.scoreThenLearn(new float[][] {null, null, logits[2].clone()}, h, TARGETS, 2, 2, 3, 0.5f, lnP);

        assertThat(last.rows()).isDeepEqualTo(all.rows());
        assertThat(lnP[0]).isZero();
        assertThat(lnP[2]).isNegative();
    }

    @Test
    void correctAddsWhatTheStepLearnt() {
        Random random = new Random(5);
        float[][] logits = randomRows(random, 1, VOCAB, 2);
        float[][] h = randomRows(random, 1, HIDDEN, 1);
        HeadCorrection correction = HeadCorrection.zero(HIDDEN, VOCAB);
        float[] before = new float[1];
        correction.scoreThenLearn(copy(logits), h, new int[] {9}, 0, 0, 1, 0.5f, before);

        float[] corrected = logits[0].clone();
        correction.correct(corrected, h[0]);

        assertThat(logSoftmax(corrected)[9]).isGreaterThan(before[0]); // the byte seen is more probable after
    }

    @Test
    void aCorrectionOnFewerUnitsReadsOnlyTheFirstOnes() {
        Random random = new Random(6);
        float[][] logits = randomRows(random, 1, VOCAB, 2);
        float[][] h = randomRows(random, 1, HIDDEN, 1);
        HeadCorrection first4 = HeadCorrection.of(randomRows(random, 5, VOCAB, 0.3));
        float[] longer = logits[0].clone();
        float[] shorter = logits[0].clone();

        first4.correct(longer, h[0]);
        first4.correct(shorter, java.util.Arrays.copyOf(h[0], 4));

        assertThat(longer).containsExactly(shorter);
        assertThat(longer).isNotEqualTo(logits[0]);
    }

    @Test
    void rowsOfTheWrongShapeAreRefused() {
        assertThatThrownBy(() -> HeadCorrection.of(new float[][] {new float[VOCAB]}))
                .hasMessageContaining("at least 2");
        assertThatThrownBy(() -> HeadCorrection.of(new float[][] {new float[VOCAB], new float[VOCAB - 1]}))
                .hasMessageContaining("the vocabulary's length");
        assertThatThrownBy(() -> HeadCorrection.zero(HIDDEN, VOCAB).correct(new float[VOCAB], new float[3]))
                .hasMessageContaining("an h of 3");
    }

    /** Central difference of the chunk's summed {@code -ln p'(y)} by one value of the correction. */
    private static double numericGradient(float[][] values, int[] at, float[][] logits, float[][] h) {
        double eps = 1e-3;
        float[][] plus = copy(values);
        plus[at[0]][at[1]] += (float) eps;
        float[][] minus = copy(values);
        minus[at[0]][at[1]] -= (float) eps;
        return (loss(plus, logits, h) - loss(minus, logits, h)) / (2 * eps);
    }

    private static double loss(float[][] values, float[][] logits, float[][] h) {
        HeadCorrection correction = HeadCorrection.of(values);
        double loss = 0;
        for (int t = 0; t < TARGETS.length; t++) {
            float[] z = logits[t].clone();
            correction.correct(z, h[t]);
            loss -= logSoftmax(z)[TARGETS[t]];
        }
        return loss;
    }

    private static double[] logSoftmax(float[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : z) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : z) {
            sum += Math.exp(v - max);
        }
        double[] out = new double[z.length];
        for (int v = 0; v < z.length; v++) {
            out[v] = z[v] - max - Math.log(sum);
        }
        return out;
    }

    private static float[][] randomRows(Random random, int rows, int columns, double scale) {
        float[][] out = new float[rows][columns];
        for (float[] row : out) {
            for (int j = 0; j < columns; j++) {
                row[j] = (float) (scale * random.nextGaussian());
            }
        }
        return out;
    }

    private static float[][] copy(float[][] rows) {
        float[][] out = new float[rows.length][];
        for (int t = 0; t < rows.length; t++) {
            out[t] = rows[t].clone();
        }
        return out;
    }
}
