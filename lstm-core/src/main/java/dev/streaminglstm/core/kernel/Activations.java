package dev.streaminglstm.core.kernel;

/**
 * Float {@code tanh} and sigmoid as a clamped rational function (the 13/6 minimax approximation
 * Eigen and XLA use for float), written so that the JIT compiles loops over arrays of them to
 * SIMD code: only multiplications, additions, one division and min/max, no calls.
 * {@link Math#exp} is an intrinsic but stays scalar (about 6 ns a value here, against about 1 ns
 * for a vectorised loop of these); {@link #exp} is Cephes' float exponential without calls, about
 * a third of its cost.
 *
 * <p>Accuracy against {@link Math#tanh} and the sigmoid in double, measured over every float:
 * absolute error at most 4.1e-7 for tanh (at 5.83) and 2.3e-7 for sigmoid; relative error of
 * tanh below 3e-7 for {@code 1e-30 <= |x| < 1} (below that the result underflows towards 0); NaN
 * stays NaN. That is a few float ulps, the order by which any float evaluation differs from
 * exact ({@code ActivationsTest} checks it on a fine grid).
 */
final class Activations {
    /** Beyond this the approximation is within float rounding of ±1 and is clamped. */
    private static final float CLAMP = 7.90531110763549805f;
    private static final float A1 = 4.89352455891786e-03f;
    private static final float A3 = 6.37261928875436e-04f;
    private static final float A5 = 1.48572235717979e-05f;
    private static final float A7 = 5.12229709037114e-08f;
    private static final float A9 = -8.60467152213735e-11f;
    private static final float A11 = 2.00018790482477e-13f;
    private static final float A13 = -2.76076847742355e-16f;
    private static final float B0 = 4.89352518554385e-03f;
    private static final float B2 = 2.26843463243900e-03f;
    private static final float B4 = 1.18534705686654e-04f;
    private static final float B6 = 1.19825839466702e-06f;

    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 in two parts: {@code n * LN2_HI} is exact for the n that occur. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to an integer. */
    private static final float ROUND = 12582912f;
    /** Below this {@code e^x} is no normal float and {@link #exp} returns about 1.2e-38. */
    static final float EXP_MIN = -87.33654f;
    /** Above this {@code e^x} overflows and {@link #exp} returns about 2.4e38. */
    static final float EXP_MAX = 88.37626f;

    private Activations() {}

    /**
     * {@code e^x} for {@code EXP_MIN <= x <= EXP_MAX} to within 1e-7 of its value (a float ulp;
     * {@code ActivationsTest} checks it over the whole range); clamped beyond. NaN stays NaN.
     * Cephes' {@code expf}: {@code x = n ln 2 + r} with {@code |r| <= ln 2 / 2}, a degree-7
     * polynomial for {@code e^r}, and {@code 2^n} written into a float's exponent bits.
     */
    static float exp(float x) {
        float c = Math.max(EXP_MIN, Math.min(EXP_MAX, x));
        float n = (c * LOG2E + ROUND) - ROUND;
        return expOfRemainder(c, n) * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /**
     * {@code a[k] = exp(a[k] - shift)} for {@code k < n}, the same floats as {@link #exp}, in three loops
     * that C2 (JDK 17) compiles to SIMD code: the float-to-int step that makes {@code 2^n} keeps a loop of
     * float arithmetic scalar, so it has a loop of its own. About 1.1 ns a value here, against 5 for
     * {@link #exp} in a loop.
     *
     * @param twoToN scratch of at least {@code n} floats
     */
    static void expInPlace(float[] a, float shift, int n, float[] twoToN) {
        for (int k = 0; k < n; k++) {
            float c = Math.max(EXP_MIN, Math.min(EXP_MAX, a[k] - shift));
            float rounded = c * LOG2E + ROUND; // n in its low mantissa bits
            twoToN[k] = rounded;
            a[k] = expOfRemainder(c, rounded - ROUND);
        }
        for (int k = 0; k < n; k++) {
            twoToN[k] = Float.intBitsToFloat((Float.floatToRawIntBits(twoToN[k]) + 127) << 23);
        }
        for (int k = 0; k < n; k++) {
            a[k] *= twoToN[k];
        }
    }

    /** {@code e^r} for {@code r = c - n ln 2}, {@code |r| <= ln 2 / 2}: Cephes' degree-7 polynomial. */
    private static float expOfRemainder(float c, float n) {
        float r = c - n * LN2_HI - n * LN2_LO;
        float r2 = r * r;
        float p = 1.9875691500E-4f;
        p = p * r + 1.3981999507E-3f;
        p = p * r + 8.3334519073E-3f;
        p = p * r + 4.1665795894E-2f;
        p = p * r + 1.6666665459E-1f;
        p = p * r + 5.0000001201E-1f;
        return p * r2 + r + 1f;
    }

    /** {@code tanh x}. */
    static float tanh(float x) {
        float c = Math.max(-CLAMP, Math.min(CLAMP, x));
        float c2 = c * c;
        float p = c2 * A13 + A11;
        p = p * c2 + A9;
        p = p * c2 + A7;
        p = p * c2 + A5;
        p = p * c2 + A3;
        p = p * c2 + A1;
        p = p * c;
        float q = c2 * B6 + B4;
        q = q * c2 + B2;
        q = q * c2 + B0;
        return p / q;
    }

    /** {@code 1 / (1 + e^-x)}, as {@code (1 + tanh(x / 2)) / 2}. */
    static float sigmoid(float x) {
        return 0.5f + 0.5f * tanh(0.5f * x);
    }

    /** {@code a[k] = sigmoid(a[k] + bias[k])} for {@code k < n}. */
    static void sigmoidInPlace(float[] a, float[] bias, int n) {
        for (int k = 0; k < n; k++) {
            a[k] = sigmoid(a[k] + bias[k]);
        }
    }

    /** {@code a[k] = tanh(a[k] + bias[k])} for {@code k < n}. */
    static void tanhInPlace(float[] a, float[] bias, int n) {
        for (int k = 0; k < n; k++) {
            a[k] = tanh(a[k] + bias[k]);
        }
    }

    /** {@code out[k] = tanh(a[k])} for {@code k < n}. */
    static void tanh(float[] a, float[] out, int n) {
        for (int k = 0; k < n; k++) {
            out[k] = tanh(a[k]);
        }
    }
}
