package dev.streaminglstm.job.state;

/**
 * IEEE 754 binary16 ("float16", "half") values held in floats, for state kept at half the bytes. Java 17 has no
 * {@code Float.floatToFloat16} (Java 20 has); these are its equivalents: {@link #fromFloat} rounds to nearest, ties to
 * even, as that method does, and {@link #toFloat} is exact (every float16 value is a float).
 */
public final class HalfFloats {
    /** The largest finite float16 value, {@code 0x7bff}. */
    public static final float MAX_VALUE = 65504f;

    private static final int FLOAT_SIGN = 0x8000_0000;
    private static final int FLOAT_INFINITY = 0x7f80_0000;
    /** 2^-14, the smallest normal float16, as float bits. */
    private static final int FLOAT_OF_MIN_NORMAL = 0x3880_0000;
    /** 2^-25, half the smallest float16 subnormal, as float bits: a tie between it and zero, so zero (the even one). */
    private static final int FLOAT_OF_HALF_MIN_SUBNORMAL = 0x3300_0000;
    /** 65520, half-way from {@link #MAX_VALUE} to the next power of two: from it on, a float rounds to infinity. */
    private static final int FLOAT_OF_OVERFLOW = 0x477f_f000;
    /** (127 - 15) << 23: the float exponent bias minus the float16 one, in place in a float's bits. */
    private static final int REBIAS = 0x3800_0000;
    /** Significand bits a float has beyond a float16's 10. */
    private static final int DROPPED_BITS = 13;
    private static final int HALF_SIGN = 0x8000;
    private static final int HALF_MAGNITUDE = 0x7fff;
    private static final int HALF_INFINITY = 0x7c00;
    private static final int HALF_QUIET_NAN = 0x7e00;
    private static final int HALF_SIGNIFICAND = 0x03ff;
    /** The value of a float16 subnormal's significand unit, 2^-24. */
    private static final float SUBNORMAL_UNIT = 0x1p-24f;

    private HalfFloats() {}

    /**
     * The float16 nearest {@code f}, ties to even; from 65520 on in magnitude that is infinity, as IEEE rounding gives
     * it. A NaN stays a NaN (a quiet one, with the top bits of its payload).
     */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & HALF_SIGN;
        int magnitude = bits & ~FLOAT_SIGN;
        if (magnitude > FLOAT_INFINITY) {
            return (short) (sign | HALF_QUIET_NAN | ((magnitude >>> DROPPED_BITS) & HALF_SIGNIFICAND));
        }
        if (magnitude >= FLOAT_OF_OVERFLOW) {
            return (short) (sign | HALF_INFINITY);
        }
        if (magnitude >= FLOAT_OF_MIN_NORMAL) {
            // Exponent and significand shift as one number: a significand that rounds up carries into the exponent.
            return (short) (sign | shiftRoundingToEven(magnitude - REBIAS, DROPPED_BITS));
        }
        if (magnitude <= FLOAT_OF_HALF_MIN_SUBNORMAL) {
            return (short) sign;
        }
        // A subnormal float16: f in units of 2^-24. f is significand * 2^(exponent - 150): shifted by 126 - exponent.
        int exponent = magnitude >>> 23;
        int significand = (magnitude & 0x007f_ffff) | 0x0080_0000;
        return (short) (sign | shiftRoundingToEven(significand, 126 - exponent));
    }

    /** {@code value >>> shift}, rounded to nearest, ties to even; {@code shift} is 1..31. */
    private static int shiftRoundingToEven(int value, int shift) {
        int quotient = value >>> shift;
        int remainder = value & ((1 << shift) - 1);
        int tie = 1 << (shift - 1);
        if (remainder > tie || remainder == tie && (quotient & 1) == 1) {
            quotient++;
        }
        return quotient;
    }

    /** The value of float16 {@code half}, exactly. */
    public static float toFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & HALF_SIGN) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int significand = bits & HALF_SIGNIFICAND;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | FLOAT_INFINITY | significand << DROPPED_BITS);
        }
        if (exponent == 0) {
            return Float.intBitsToFloat(sign | Float.floatToRawIntBits(significand * SUBNORMAL_UNIT));
        }
        return Float.intBitsToFloat(sign | (((bits & HALF_MAGNITUDE) << DROPPED_BITS) + REBIAS));
    }

    /**
     * The float16 value nearest {@code f}, as a float, but ±{@link #MAX_VALUE} where that would be infinite (from
     * 65520 on in magnitude, infinities too): a value rounded for state never becomes infinite. A NaN is returned as
     * it is.
     */
    public static float round(float f) {
        if (Float.isNaN(f)) {
            return f;
        }
        short half = fromFloat(f);
        if ((half & HALF_MAGNITUDE) == HALF_INFINITY) {
            return Math.copySign(MAX_VALUE, f);
        }
        return toFloat(half);
    }

    /** Replaces every value of {@code values} by its {@link #round}. */
    public static void roundInPlace(float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = round(values[i]);
        }
    }

    /**
     * Whether every value of {@code values} is a float16 value, so that storing it as float16 loses nothing, not even
     * the sign of a zero. A NaN is not: its payload would not survive, so an array with one is stored as floats.
     */
    public static boolean allHalf(float[] values) {
        for (float v : values) {
            if (Float.isNaN(v) || Float.floatToRawIntBits(toFloat(fromFloat(v))) != Float.floatToRawIntBits(v)) {
                return false;
            }
        }
        return true;
    }
}
