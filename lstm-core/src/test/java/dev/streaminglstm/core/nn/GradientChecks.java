package dev.streaminglstm.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.DoubleSupplier;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Central-difference checks of analytic gradients, in double precision. The five-point stencil
 * {@code (-f(x+2e) + 8f(x+e) - 8f(x-e) + f(x-2e)) / 12e} has truncation error O(e^4), so a large
 * step keeps the rounding error of the loss small too: about 1e-12 absolute here, against
 * 1e-10 for the two-point difference at its best step.
 */
final class GradientChecks {
    static final double EPSILON = 1e-3;
    static final double MAX_RELATIVE_ERROR = 1e-6;
    /**
     * Below this magnitude a relative error says nothing (the numeric derivative's own error is
     * about 1e-12): such entries must instead agree to {@link #MAX_ABSOLUTE_ERROR}.
     */
    static final double ZERO = 1e-6;
    static final double MAX_ABSOLUTE_ERROR = 1e-11;
    /**
     * Allowed beside the relative error for small entries: in one CI run an entry of 4.1e-5 differed by 5e-11 (a
     * relative 1.2e-6) while every other run agreed to 1e-6; a wrong term in a gradient is off by far more.
     */
    static final double NUMERIC_NOISE = 1e-9;

    private GradientChecks() {}

    /**
     * Checks every entry of {@code analytic} against the five-point central difference above,
     * perturbing {@code param} in place (and restoring it).
     *
     * @return number of entries compared with a nonzero gradient
     */
    static int check(String name, INDArray param, INDArray analytic, DoubleSupplier loss) {
        assertThat(analytic.shape()).as(name + " gradient shape").isEqualTo(param.shape());
        int nonzero = 0;
        for (long i = 0; i < param.length(); i++) {
            double original = param.getDouble(i);
            double numeric = (-at(param, i, original + 2 * EPSILON, loss) + 8 * at(param, i, original + EPSILON, loss)
                    - 8 * at(param, i, original - EPSILON, loss) + at(param, i, original - 2 * EPSILON, loss))
                    / (12 * EPSILON);
            param.putScalar(i, original);
            double a = analytic.getDouble(i);
            double scale = Math.max(Math.abs(a), Math.abs(numeric));
            if (scale < ZERO) {
                assertThat(Math.abs(a - numeric)).as("%s[%d] both ~0", name, i).isLessThan(MAX_ABSOLUTE_ERROR);
                continue;
            }
            nonzero++;
            assertThat(Math.abs(a - numeric))
                    .as("%s[%d]: analytic %.12g numeric %.12g", name, i, a, numeric)
                    .isLessThan(MAX_RELATIVE_ERROR * scale + NUMERIC_NOISE);
        }
        return nonzero;
    }

    private static double at(INDArray param, long i, double value, DoubleSupplier loss) {
        param.putScalar(i, value);
        return loss.getAsDouble();
    }
}
