package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@link Activations} against {@link Math#tanh} and the sigmoid in double. */
class ActivationsTest {

    @Test
    void tanhIsWithinAFewUlpsOfExact() {
        double worst = 0;
        for (int n = -300_000; n <= 300_000; n++) {
            float x = n * 1e-4f;
            worst = Math.max(worst, Math.abs(Activations.tanh(x) - Math.tanh(x)));
        }
        assertThat(worst).isLessThan(4.2e-7);
    }

    @Test
    void tanhKeepsItsRelativeAccuracyNearZero() {
        for (float x = 1e-30f; x < 1; x *= 1.01f) {
            assertThat(Math.abs(Activations.tanh(x) - Math.tanh(x)) / Math.tanh(x)).as("x = %s", x).isLessThan(3e-7);
            assertThat(Activations.tanh(-x)).isEqualTo(-Activations.tanh(x));
        }
        assertThat(Activations.tanh(0f)).isZero();
    }

    @Test
    void sigmoidIsWithinAFewUlpsOfExact() {
        double worst = 0;
        for (int n = -300_000; n <= 300_000; n++) {
            float x = n * 1e-4f;
            worst = Math.max(worst, Math.abs(Activations.sigmoid(x) - 1 / (1 + Math.exp(-(double) x))));
        }
        assertThat(worst).isLessThan(2.5e-7);
    }

    @Test
    void expIsWithinAFloatUlpOfExactOverItsWholeRange() {
        double worst = 0;
        for (float x = Activations.EXP_MIN; x <= Activations.EXP_MAX; x += 3.3e-4f) {
            double exact = Math.exp(x);
            worst = Math.max(worst, Math.abs(Activations.exp(x) - exact) / exact);
        }
        assertThat(worst).isLessThan(1e-7);
        assertThat(Activations.exp(0f)).isEqualTo(1f);
    }

    @Test
    void expInPlaceGivesTheSameFloatsAsExpValueByValue() {
        float[] xs = new float[1_000_003];
        for (int i = 0; i < xs.length; i++) {
            xs[i] = -120f + 240f * i / xs.length;
        }
        float[] specials = {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0f, -0f,
                Activations.EXP_MIN, Activations.EXP_MAX, Float.MAX_VALUE, -Float.MAX_VALUE};
        System.arraycopy(specials, 0, xs, 0, specials.length);
        for (float shift : new float[] {0f, 3.25f, -17f}) {
            float[] a = xs.clone();
            Activations.expInPlace(a, shift, a.length - 1, new float[a.length]);
            for (int i = 0; i < a.length - 1; i++) {
                assertThat(Float.floatToIntBits(a[i])).as("exp(%s - %s)", xs[i], shift)
                        .isEqualTo(Float.floatToIntBits(Activations.exp(xs[i] - shift)));
            }
            assertThat(a[a.length - 1]).as("beyond n: untouched").isEqualTo(xs[xs.length - 1]);
        }
    }

    @Test
    void expClampsBeyondItsRangeAndKeepsNaN() {
        assertThat(Activations.exp(-200f)).isBetween(0f, 1.3e-38f);
        assertThat(Activations.exp(Float.NEGATIVE_INFINITY)).isBetween(0f, 1.3e-38f);
        assertThat(Activations.exp(100f)).isGreaterThan(2e38f).isLessThan(Float.POSITIVE_INFINITY);
        assertThat(Activations.exp(Float.NaN)).isNaN();
    }

    @Test
    void saturatesAtTheExtremesAndKeepsNaN() {
        for (float x : new float[] {40f, 1e30f, Float.MAX_VALUE, Float.POSITIVE_INFINITY}) {
            assertThat(Activations.tanh(x)).isCloseTo(1f, org.assertj.core.data.Offset.offset(4e-7f));
            assertThat(Activations.tanh(-x)).isCloseTo(-1f, org.assertj.core.data.Offset.offset(4e-7f));
            assertThat(Activations.sigmoid(x)).isCloseTo(1f, org.assertj.core.data.Offset.offset(2.5e-7f));
            assertThat(Activations.sigmoid(-x)).isBetween(0f, 2.5e-7f);
        }
        assertThat(Activations.tanh(Float.NaN)).isNaN();
        assertThat(Activations.sigmoid(Float.NaN)).isNaN();
    }

    @Test
    void arrayFormsApplyTheScalarFunctionsToEveryElement() {
        int n = 1001;
        float[] a = new float[n];
        float[] bias = new float[n];
        for (int k = 0; k < n; k++) {
            a[k] = (k - 500) * 0.013f;
            bias[k] = (k % 7 - 3) * 0.1f;
        }
        float[] sigmoid = a.clone();
        float[] tanh = a.clone();
        float[] tanhNoBias = new float[n];
        Activations.sigmoidInPlace(sigmoid, bias, n);
        Activations.tanhInPlace(tanh, bias, n);
        Activations.tanh(a, tanhNoBias, n);
        for (int k = 0; k < n; k++) {
            assertThat(sigmoid[k]).isEqualTo(Activations.sigmoid(a[k] + bias[k]));
            assertThat(tanh[k]).isEqualTo(Activations.tanh(a[k] + bias[k]));
            assertThat(tanhNoBias[k]).isEqualTo(Activations.tanh(a[k]));
        }
    }
}
