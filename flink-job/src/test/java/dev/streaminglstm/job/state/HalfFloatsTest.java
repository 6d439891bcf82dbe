package dev.streaminglstm.job.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.Arrays;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Float16 conversions against a reference built here from the format's definition: every value, and the nearest of
 * them computed in double.
 */
class HalfFloatsTest {
    private static final int HALF_INFINITY = 0x7c00;
    /**
     * The non-negative float16 values by their bits, 0x0000..0x7bff, computed from the format's definition, then
     * 65536 at 0x7c00: where infinity stands in the order, the power of two IEEE rounding goes on to.
     */
    private static final double[] NON_NEGATIVE = nonNegativeHalves();

    private static double[] nonNegativeHalves() {
        double[] values = new double[HALF_INFINITY + 1];
        for (int bits = 0; bits <= HALF_INFINITY; bits++) {
            int exponent = bits >>> 10;
            int significand = bits & 0x3ff;
            values[bits] = exponent == 0 ? significand * Math.pow(2, -24)
                    : (1 + significand / 1024.0) * Math.pow(2, exponent - 15);
        }
        return values;
    }

    /** The bits of the float16 nearest {@code f}, ties to the even one, found by search in {@link #NON_NEGATIVE}. */
    private static short nearest(float f) {
        double x = Math.abs((double) f);
        int sign = Float.floatToRawIntBits(f) < 0 ? 0x8000 : 0;
        int found = Arrays.binarySearch(NON_NEGATIVE, x);
        int bits;
        if (found >= 0) {
            bits = found;
        } else if (-found - 1 > HALF_INFINITY) {
            bits = HALF_INFINITY;
        } else {
            int above = -found - 1;
            int below = above - 1;
            double toBelow = x - NON_NEGATIVE[below];
            double toAbove = NON_NEGATIVE[above] - x;
            bits = toBelow < toAbove ? below : toAbove < toBelow ? above : (below % 2 == 0 ? below : above);
        }
        return (short) (sign | bits);
    }

    /** Fails unless {@code f} goes to the nearest float16 (checked without AssertJ: it runs millions of times). */
    private static void assertNearest(float f) {
        short actual = HalfFloats.fromFloat(f);
        short expected = nearest(f);
        if (actual != expected) {
            fail("float16 of %s (bits %08x): %04x, not the nearest %04x", f, Float.floatToRawIntBits(f), actual,
                    expected);
        }
    }

    @Test
    void everyFloat16IsItsValueAndComesBackBitForBit() {
        for (int bits = 0; bits <= 0xffff; bits++) {
            short half = (short) bits;
            float value = HalfFloats.toFloat(half);
            int exponent = (bits >>> 10) & 0x1f;
            if (exponent == 0x1f && (bits & 0x3ff) != 0) {
                assertThat(value).as("%04x", bits).isNaN();
                assertThat(HalfFloats.toFloat(HalfFloats.fromFloat(value))).as("%04x", bits).isNaN();
                continue;
            }
            double magnitude = exponent == 0x1f ? Double.POSITIVE_INFINITY : NON_NEGATIVE[bits & 0x7fff];
            assertThat((double) value).as("%04x", bits).isEqualTo((bits & 0x8000) == 0 ? magnitude : -magnitude);
            assertThat(HalfFloats.fromFloat(value)).as("%04x", bits).isEqualTo(half);
        }
    }

    @Test
    void zerosKeepTheirSignAndWhatRoundsToZeroKeepsItsOwn() {
        assertThat(HalfFloats.fromFloat(0f)).isEqualTo((short) 0x0000);
        assertThat(HalfFloats.fromFloat(-0f)).isEqualTo((short) 0x8000);
        assertThat(Float.floatToRawIntBits(HalfFloats.toFloat((short) 0x8000))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(HalfFloats.fromFloat(-0x1p-25f)).as("a tie with zero goes to the even zero")
                .isEqualTo((short) 0x8000);
        assertThat(HalfFloats.fromFloat(-Float.MIN_VALUE)).isEqualTo((short) 0x8000);
        assertThat(Float.floatToRawIntBits(HalfFloats.round(-1e-30f))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(Float.floatToRawIntBits(HalfFloats.round(1e-30f))).isEqualTo(0);
    }

    @Test
    void everyTieBetweenTwoNeighboursGoesToTheEvenOne() {
        for (int below = 0; below < HALF_INFINITY; below++) {
            double halfway = (NON_NEGATIVE[below] + NON_NEGATIVE[below + 1]) / 2;
            float tie = (float) halfway;
            assertThat((double) tie).as("a tie is a float").isEqualTo(halfway);
            int even = below % 2 == 0 ? below : below + 1;
            assertThat(HalfFloats.fromFloat(tie)).as("%s", tie).isEqualTo((short) even);
            assertThat(HalfFloats.fromFloat(-tie)).as("%s", -tie).isEqualTo((short) (0x8000 | even));
            assertThat(HalfFloats.fromFloat(Math.nextDown(tie))).as("below %s", tie).isEqualTo((short) below);
            assertThat(HalfFloats.fromFloat(Math.nextUp(tie))).as("above %s", tie).isEqualTo((short) (below + 1));
        }
    }

    @Test
    void millionsOfFloatsOverTheWholeRangeAndAtTheEdgesGoToTheNearestFloat16() {
        Random random = new Random(16);
        sample(1_000_000, random, IntUnaryOperator.identity()); // any bits at all: every exponent equally often
        // float16's range, 2^-26 to 2^17, every exponent equally often
        sample(1_000_000, random, r -> (r & 0x807f_ffff) | ((101 + Math.floorMod(r >> 23, 44)) << 23));
        sample(500_000, random, r -> 0x3880_0000 + (r >> 10));   // 2^-14, where subnormals end: 2^21 floats each way
        sample(500_000, random, r -> 0x3300_0000 + (r >> 10));   // 2^-25, the tie with zero
        sample(500_000, random, r -> 0x477f_e000 + (r >> 14));   // 65504 and 65520: 2^17 floats each way
        sample(500_000, random, r -> 0x4780_0000 + (r >> 14));   // 65536, float16's first power of two past its end
        for (float edge : new float[] {65504f, 65519.996f, 65520f, 65535.996f, 65536f, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, 0x1p-14f, 0x1p-24f, 0x1p-25f, Float.MIN_NORMAL, Float.MIN_VALUE}) {
            assertNearest(edge);
            assertNearest(-edge);
            assertNearest(Math.nextUp(edge));
            assertNearest(Math.nextDown(edge));
        }
        assertThat(HalfFloats.fromFloat(65519.996f)).isEqualTo((short) 0x7bff);
        assertThat(HalfFloats.fromFloat(65520f)).isEqualTo((short) HALF_INFINITY);
        assertThat(HalfFloats.fromFloat(-65520f)).isEqualTo((short) (0x8000 | HALF_INFINITY));
    }

    /** {@code n} floats of the bits {@code bits} makes of random ints, with their signs flipped too. */
    private static void sample(int n, Random random, IntUnaryOperator bits) {
        for (int i = 0; i < n; i++) {
            float f = Float.intBitsToFloat(bits.applyAsInt(random.nextInt()));
            if (Float.isNaN(f)) {
                assertThat(HalfFloats.toFloat(HalfFloats.fromFloat(f))).isNaN();
                continue;
            }
            assertNearest(f);
            assertNearest(-f);
        }
    }

    @Test
    void roundIsTheNearestFloat16ButSaturatesWhereThatWouldBeInfinite() {
        Random random = new Random(3);
        for (int i = 0; i < 100_000; i++) {
            float f = (float) (random.nextGaussian() * 1000);
            assertThat(HalfFloats.round(f)).isEqualTo(HalfFloats.toFloat(HalfFloats.fromFloat(f)));
        }
        assertThat(HalfFloats.round(65519.996f)).isEqualTo(65504f);
        assertThat(HalfFloats.round(65520f)).isEqualTo(HalfFloats.MAX_VALUE);
        assertThat(HalfFloats.round(-1e30f)).isEqualTo(-HalfFloats.MAX_VALUE);
        assertThat(HalfFloats.round(Float.POSITIVE_INFINITY)).isEqualTo(HalfFloats.MAX_VALUE);
        assertThat(HalfFloats.round(Float.NEGATIVE_INFINITY)).isEqualTo(-HalfFloats.MAX_VALUE);
        assertThat(HalfFloats.round(Float.NaN)).isNaN();
        assertThat(HalfFloats.round(0.1f)).isEqualTo(0.0999755859375f);
    }

    @Test
    void aRoundedArrayIsAllFloat16AndOnlyFloat16ArraysAre() {
        Random random = new Random(7);
        float[] values = new float[512];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        assertThat(HalfFloats.allHalf(values)).isFalse();

        float[] rounded = values.clone();
        HalfFloats.roundInPlace(rounded);

        assertThat(HalfFloats.allHalf(rounded)).isTrue();
        for (int i = 0; i < values.length; i++) {
            assertThat(rounded[i]).isEqualTo(HalfFloats.round(values[i]));
        }
        assertThat(HalfFloats.allHalf(new float[] {0f, -0f, 1f, -65504f, 0x1p-24f, 0x1.ff8p-15f})).isTrue();
        assertThat(HalfFloats.allHalf(new float[0])).isTrue();
        assertThat(HalfFloats.allHalf(new float[] {1f, 0x1p-25f})).as("below the smallest subnormal").isFalse();
        assertThat(HalfFloats.allHalf(new float[] {1f, 1f + 0x1p-11f})).as("one bit too many").isFalse();
        assertThat(HalfFloats.allHalf(new float[] {65520f})).as("would be infinite").isFalse();
        assertThat(HalfFloats.allHalf(new float[] {Float.NaN})).as("a NaN is kept as a float").isFalse();
    }
}
