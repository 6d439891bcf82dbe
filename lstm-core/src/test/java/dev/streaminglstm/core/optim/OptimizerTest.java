package dev.streaminglstm.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.format.ParameterBits;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class OptimizerTest {
    private static final ModelConfig MODEL = new ModelConfig(5, 3, 4, 1, CellType.LSTM, 2);

    static OptimizerConfig config(OptimizerKind kind, double clipNorm) {
        return switch (kind) {
            case SGD -> OptimizerConfig.sgd(0.1, clipNorm);
            case ADAGRAD -> OptimizerConfig.adagrad(0.1, clipNorm);
            case ADAM -> OptimizerConfig.adam(0.01, clipNorm);
        };
    }

    static Stream<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (OptimizerKind kind : OptimizerKind.values()) {
            for (DataType type : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
                for (double clipNorm : new double[] {0, 100, 1}) {
                    cases.add(Arguments.of(kind, type, clipNorm));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} {1} clipNorm={2}")
    @MethodSource("cases")
    void matchesTheHandComputedReference(OptimizerKind kind, DataType type, double clipNorm) {
        matchesTheReference(config(kind, clipNorm), type);
    }

    @ParameterizedTest(name = "betas {0} {1}, {2}")
    @CsvSource({"0, 0.999, FLOAT", "0, 0.9, FLOAT", "0.5, 0.99, FLOAT", "0, 0.9, DOUBLE", "0.5, 0.99, DOUBLE"})
    void adamMatchesTheReferenceAtOtherBetas(double beta1, double beta2, DataType type) {
        matchesTheReference(new OptimizerConfig(OptimizerKind.ADAM, 0.01, 1, beta1, beta2, 1e-8), type);
    }

    private static void matchesTheReference(OptimizerConfig config, DataType type) {
        OptimizerKind kind = config.kind();
        double clipNorm = config.clipNorm();
        ParameterSet params = TestArrays.random(MODEL, type, 1, 1.0);
        Optimizer optimizer = Optimizer.create(config, MODEL, type);
        ReferenceOptimizer reference = new ReferenceOptimizer(config, TestArrays.flat(params));
        double tolerance = type == DataType.DOUBLE ? 1e-12 : 2e-6;

        for (int step = 1; step <= 5; step++) {
            ParameterSet gradients = TestArrays.random(MODEL, type, 100 + step, 0.5 * step);
            double[] before = TestArrays.flat(gradients);
            StepReport report = optimizer.step(params, gradients, 1.5);
            reference.step(TestArrays.flat(gradients));

            assertThat(report.applied()).isTrue();
            assertThat(report.clipped()).isEqualTo(reference.lastClipped).isEqualTo(clipNorm == 1);
            assertThat(report.gradientNorm()).isCloseTo(reference.lastNorm, within(1e-9 * reference.lastNorm));
            assertThat(TestArrays.flat(gradients)).as("gradients are only read").containsExactly(before);
            assertClose(TestArrays.flat(params), reference.params, tolerance, "params after step " + step);
            Map<String, ParameterSet> moments = optimizer.exportState().moments();
            if (kind == OptimizerKind.ADAGRAD) {
                assertClose(TestArrays.flat(moments.get("memory")), reference.first, tolerance, "memory");
            } else if (kind == OptimizerKind.ADAM) {
                assertClose(TestArrays.flat(moments.get("m")), reference.first, tolerance, "m");
                assertClose(TestArrays.flat(moments.get("v")), reference.second, tolerance, "v");
            }
        }
        assertThat(optimizer.stepsApplied()).isEqualTo(5);
        assertThat(optimizer.stepsSkipped()).isZero();
        assertThat(params.dataType()).isEqualTo(type);
    }

    static Stream<Arguments> badSteps() {
        Consumer<ParameterSet> nothing = g -> { };
        return Stream.of(
                Arguments.of("NaN loss", Double.NaN, nothing),
                Arguments.of("infinite loss", Double.POSITIVE_INFINITY, nothing),
                Arguments.of("NaN gradient", 1.0, (Consumer<ParameterSet>) g -> g.get(ParameterNames.bias(0)).putScalar(3, Double.NaN)),
                Arguments.of("infinite gradient", 1.0, (Consumer<ParameterSet>) g -> g.get(ParameterNames.HEAD_WEIGHTS).putScalar(0, Double.POSITIVE_INFINITY)),
                Arguments.of("negative infinite gradient", 1.0, (Consumer<ParameterSet>) g -> g.get(ParameterNames.EMBEDDING).putScalar(7, Double.NEGATIVE_INFINITY)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badSteps")
    void nonFiniteStepsAreSkippedAndChangeNothing(String what, double loss, Consumer<ParameterSet> spoil)
            throws ModelFormatException {
        for (OptimizerKind kind : OptimizerKind.values()) {
            OptimizerConfig config = config(kind, 1);
            ParameterSet params = TestArrays.random(MODEL, DataType.FLOAT, 1, 1.0);
            ParameterSet twinParams = params.copy();
            Optimizer optimizer = Optimizer.create(config, MODEL, DataType.FLOAT);
            Optimizer twin = Optimizer.create(config, MODEL, DataType.FLOAT);
            for (int step = 1; step <= 2; step++) {
                optimizer.step(params, TestArrays.random(MODEL, DataType.FLOAT, step, 2.0), 1.0);
                twin.step(twinParams, TestArrays.random(MODEL, DataType.FLOAT, step, 2.0), 1.0);
            }
            Map<String, long[]> paramsBefore = ParameterBits.of(params);
            OptimizerState stateBefore = optimizer.exportState();

            ParameterSet bad = TestArrays.random(MODEL, DataType.FLOAT, 50, 2.0);
            spoil.accept(bad);
            StepReport report = optimizer.step(params, bad, loss);

            assertThat(report.skipped()).as("%s %s", kind, what).isTrue();
            assertThat(report.clipped()).isFalse();
            assertThat(optimizer.stepsSkipped()).isEqualTo(1);
            assertThat(optimizer.stepsApplied()).isEqualTo(2);
            assertSameBits(params, paramsBefore);
            OptimizerState stateAfter = optimizer.exportState();
            assertThat(stateAfter.stepsApplied()).isEqualTo(stateBefore.stepsApplied());
            stateBefore.moments().forEach((name, moment) -> assertSameBits(stateAfter.moments().get(name), ParameterBits.of(moment)));

            // the next good step continues exactly as if the bad one had never come
            optimizer.step(params, TestArrays.random(MODEL, DataType.FLOAT, 3, 2.0), 1.0);
            twin.step(twinParams, TestArrays.random(MODEL, DataType.FLOAT, 3, 2.0), 1.0);
            assertSameBits(params, ParameterBits.of(twinParams));
        }
    }

    static Stream<Arguments> kindsAndTypes() {
        return Stream.of(OptimizerKind.values())
                .flatMap(k -> Stream.of(Arguments.of(k, DataType.FLOAT), Arguments.of(k, DataType.DOUBLE)));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("kindsAndTypes")
    void restoredStateContinuesBitForBit(OptimizerKind kind, DataType type) throws ModelFormatException {
        OptimizerConfig config = config(kind, 3);
        ParameterSet uninterrupted = TestArrays.random(MODEL, type, 1, 1.0);
        ParameterSet resumed = uninterrupted.copy();
        Optimizer straight = Optimizer.create(config, MODEL, type);
        Optimizer first = Optimizer.create(config, MODEL, type);
        for (int step = 1; step <= 3; step++) {
            straight.step(uninterrupted, TestArrays.random(MODEL, type, step, step), 1.0);
            first.step(resumed, TestArrays.random(MODEL, type, step, step), 1.0);
        }
        first.step(resumed, TestArrays.random(MODEL, type, 99, Double.NaN), 1.0); // a skipped step travels too
        straight.step(uninterrupted, TestArrays.random(MODEL, type, 99, Double.NaN), 1.0);

        byte[] checkpoint = OptimizerStateCodec.toBytes(first.exportState());
        Optimizer second = Optimizer.restore(config, OptimizerStateCodec.fromBytes(checkpoint));
        assertThat(second.stepsApplied()).isEqualTo(3);
        assertThat(second.stepsSkipped()).isEqualTo(1);
        for (int step = 4; step <= 6; step++) {
            straight.step(uninterrupted, TestArrays.random(MODEL, type, step, step), 1.0);
            second.step(resumed, TestArrays.random(MODEL, type, step, step), 1.0);
        }
        assertSameBits(resumed, ParameterBits.of(uninterrupted));
        assertThat(OptimizerStateCodec.toBytes(second.exportState()))
                .isEqualTo(OptimizerStateCodec.toBytes(straight.exportState()));
    }

    @Test
    void exportedStateIsACopy() {
        Optimizer optimizer = Optimizer.create(config(OptimizerKind.ADAM, 0), MODEL, DataType.DOUBLE);
        ParameterSet params = TestArrays.random(MODEL, DataType.DOUBLE, 1, 1.0);
        optimizer.step(params, TestArrays.random(MODEL, DataType.DOUBLE, 2, 1.0), 1.0);
        OptimizerState exported = optimizer.exportState();
        byte[] before = OptimizerStateCodec.toBytes(exported);
        optimizer.step(params, TestArrays.random(MODEL, DataType.DOUBLE, 3, 1.0), 1.0);
        assertThat(OptimizerStateCodec.toBytes(exported)).isEqualTo(before);
        assertThat(OptimizerStateCodec.toBytes(optimizer.exportState())).isNotEqualTo(before);
    }

    @Test
    void floatGradientNormIsAccumulatedInDouble() {
        ModelConfig model = ModelConfig.lstm(258, 4, 4);
        ParameterSet gradients = ParameterSet.zeros(model, DataType.FLOAT);
        INDArray embedding = gradients.get(ParameterNames.EMBEDDING);
        long n = embedding.length();
        for (long i = 0; i < n; i++) {
            embedding.putScalar(i, i % 2 == 0 ? 1e4 : 1.0); // float sums lose every 1 next to the 1e8s
        }
        double exact = Math.sqrt((n / 2) * 1e8 + (n / 2));
        Optimizer optimizer = Optimizer.create(OptimizerConfig.sgd(0.1, 0), model, DataType.FLOAT);
        StepReport report = optimizer.step(ParameterSet.zeros(model, DataType.FLOAT), gradients, 1.0);
        assertThat(report.gradientNorm()).isCloseTo(exact, within(exact * 1e-12));

        // squares beyond float's range: still a finite norm, so the step is applied (and clipped)
        ParameterSet huge = ParameterSet.zeros(model, DataType.FLOAT);
        huge.get(ParameterNames.HEAD_BIAS).putScalar(0, 1e20);
        ParameterSet params = ParameterSet.zeros(model, DataType.FLOAT);
        StepReport clipped = Optimizer.create(OptimizerConfig.sgd(0.1, 1), model, DataType.FLOAT).step(params, huge, 1.0);
        assertThat(clipped.applied()).isTrue();
        assertThat(clipped.clipped()).isTrue();
        assertThat(clipped.gradientNorm()).isCloseTo(1e20, within(1e14));
        assertThat(params.get(ParameterNames.HEAD_BIAS).getDouble(0)).isCloseTo(-0.1, within(1e-7));
    }

    @Test
    void rejectsMismatchedArraysBeforeChangingAnything() {
        ParameterSet params = TestArrays.random(MODEL, DataType.FLOAT, 1, 1.0);
        Map<String, long[]> before = ParameterBits.of(params);
        Optimizer adam = Optimizer.create(config(OptimizerKind.ADAM, 0), MODEL, DataType.FLOAT);
        assertThatThrownBy(() -> adam.step(params, TestArrays.random(MODEL, DataType.DOUBLE, 2, 1.0), 1.0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gradients are DOUBLE but the parameters are FLOAT");
        Optimizer doubleAdam = Optimizer.create(config(OptimizerKind.ADAM, 0), MODEL, DataType.DOUBLE);
        assertThatThrownBy(() -> doubleAdam.step(params, TestArrays.random(MODEL, DataType.FLOAT, 2, 1.0), 1.0))
                .hasMessage("moment 'm' are DOUBLE but the parameters are FLOAT");
        ModelConfig other = MODEL.withLayers(2);
        assertThatThrownBy(() -> adam.step(params, TestArrays.random(other, DataType.FLOAT, 2, 1.0), 1.0))
                .hasMessageStartingWith("gradients are of shape");
        assertSameBits(params, before);
        assertThat(adam.stepsApplied() + adam.stepsSkipped()).isZero();
    }

    @Test
    void restoreRejectsAnotherKindsState() {
        OptimizerState adagrad = Optimizer.create(config(OptimizerKind.ADAGRAD, 0), MODEL, DataType.FLOAT).exportState();
        assertThatThrownBy(() -> Optimizer.restore(config(OptimizerKind.ADAM, 0), adagrad))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("state of a ADAGRAD optimiser cannot restore a ADAM optimiser");
    }

    @ParameterizedTest
    @EnumSource(OptimizerKind.class)
    void freshStateHasZeroMomentsOfTheParametersType(OptimizerKind kind) {
        OptimizerState state = Optimizer.create(config(kind, 0), MODEL, DataType.FLOAT).exportState();
        assertThat(state.kind()).isEqualTo(kind);
        assertThat(state.moments().keySet()).containsExactlyElementsOf(kind.momentNames());
        for (ParameterSet moment : state.moments().values()) {
            assertThat(moment.dataType()).isEqualTo(DataType.FLOAT);
            assertThat(moment.config()).isEqualTo(MODEL);
            assertThat(TestArrays.flat(moment)).containsOnly(0.0);
        }
    }

    private static void assertClose(double[] actual, double[] expected, double tolerance, String what) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            double allowed = tolerance * Math.max(1.0, Math.abs(expected[i]));
            assertThat(actual[i]).as("%s [%d]", what, i).isCloseTo(expected[i], within(allowed));
        }
    }

    private static void assertSameBits(ParameterSet actual, Map<String, long[]> expected) {
        ParameterBits.of(actual).forEach((name, bits) -> assertThat(bits).as(name).containsExactly(expected.get(name)));
    }
}
