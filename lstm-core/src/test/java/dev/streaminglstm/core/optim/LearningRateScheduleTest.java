package dev.streaminglstm.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class LearningRateScheduleTest {

    @Test
    void warmsUpLinearlyThenDecaysAsTheInverseSquareRootDownToTheFloor() {
        LearningRateSchedule s = new LearningRateSchedule(10, 100, 0.25);

        assertThat(s.factor(1)).isCloseTo(0.1, within(1e-12));
        assertThat(s.factor(5)).isCloseTo(0.5, within(1e-12));
        assertThat(s.factor(10)).isCloseTo(1.0, within(1e-12));
        assertThat(s.factor(110)).isCloseTo(1 / Math.sqrt(2), within(1e-12));
        assertThat(s.factor(310)).isCloseTo(0.5, within(1e-12));
        assertThat(s.factor(1_000_000)).isEqualTo(0.25);
        assertThat(LearningRateSchedule.CONSTANT.factor(1)).isEqualTo(1.0);
        assertThat(LearningRateSchedule.CONSTANT.factor(1_000_000)).isEqualTo(1.0);
        assertThatThrownBy(() -> new LearningRateSchedule(0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theOptimiserStepsWithTheScaledRate() {
        var model = dev.streaminglstm.core.model.ModelConfig.lstm(5, 2, 3);
        var type = org.nd4j.linalg.api.buffer.DataType.FLOAT;
        var full = dev.streaminglstm.core.model.ParameterSet.initialize(model, type, 1);
        var half = full.copy();
        var gradients = full.copy();
        Optimizer a = Optimizer.create(OptimizerConfig.sgd(0.1, 0), model, type);
        Optimizer b = Optimizer.create(OptimizerConfig.sgd(0.1, 0), model, type);
        b.scaleLearningRate(0.5);

        a.step(full, gradients, 1.0);
        b.step(half, gradients, 1.0);

        // p - 0.1 g against p - 0.05 g: the step of b is half the step of a
        float[] p0 = gradients.toFlatFloats(); // the initial parameters (the gradients are a copy of them)
        float[] pa = full.toFlatFloats();
        float[] pb = half.toFlatFloats();
        for (int i = 0; i < p0.length; i++) {
            assertThat(pb[i] - p0[i]).isCloseTo((pa[i] - p0[i]) / 2, within(1e-6f));
        }
    }
}
