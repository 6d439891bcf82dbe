package dev.streaminglstm.core.diagnostics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The vanishing and exploding gradient, measured: over 100 steps the RNN's dL/dh_0 vanishes at
 * its default scale and explodes with larger recurrent weights, while the LSTM's cell path decays
 * only as fast as its forget gates close, and stays alive when they are open.
 */
class GradientFlowTest {

    @Test
    void rnnGradientsVanishOrExplodeWhileTheLstmCellPathKeepsThemAlive() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<GradientFlow.Curve> curves =
                GradientFlow.report(new PrintStream(printed, true, StandardCharsets.UTF_8), 100, 64, 32, 1);
        System.out.println(printed.toString(StandardCharsets.UTF_8));

        double rnn = curves.get(0).relative(100);
        double rnnLarge = curves.get(1).relative(100);
        double lstm = curves.get(2).relative(100);
        double lstmOpen = curves.get(3).relative(100);

        assertThat(rnn).as("RNN at default scale: vanished").isLessThan(1e-20);
        assertThat(rnnLarge).as("RNN with recurrent weights x4: exploded").isGreaterThan(1e3);
        assertThat(lstm).as("LSTM, forget bias 1: decays, but by many orders less than the RNN")
                .isGreaterThan(rnn * 1e15);
        assertThat(lstmOpen).as("LSTM with open forget gates: alive after 100 steps").isBetween(1e-2, 1e2);
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("LSTM, forget bias 3").contains("100");
    }
}
