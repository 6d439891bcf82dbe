package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.nn.LayerWeights;
import dev.streaminglstm.core.nn.LstmLayer;
import dev.streaminglstm.core.nn.RecurrentLayer;
import dev.streaminglstm.core.nn.SequenceInput;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link FastLstmLayer} against {@link LstmLayer}: every output and gradient of a window, for
 * batches on both sides of {@link RecurrentProduct#MATRIX_PRODUCT_FROM}, with resets and
 * {@code <start>} zeroing inside the window, a random carried state, conditioning, and gradient
 * arrays that already hold values (the layer must add to them).
 *
 * <p>Tolerance: every array must agree to {@value #FLOAT_TOLERANCE} of its largest magnitude.
 * Both layers compute in float; they differ in summation order and in sigmoid and tanh (the fast
 * layer's are rational approximations within a few float ulps, see {@link Activations}). Over
 * these windows that moves entries by at most 5e-7 of the array's scale, against the FLOAT layer
 * and against the DOUBLE one (the one the gradient checks verify) alike, so the bound leaves a
 * factor of 20; dropping a mask, a sum or an offset of either pass fails it (each was tried).
 */
class FastLstmLayerTest {
    static final double FLOAT_TOLERANCE = 1e-5;

    static Stream<Arguments> windows() {
        return Stream.of(
                Arguments.of(1, 7, 0),
                Arguments.of(1, 5, 3),
                Arguments.of(3, 6, 0),
                Arguments.of(3, 4, 2),
                Arguments.of(32, 5, 0),
                Arguments.of(32, 3, 4));
    }

    @Test
    void theBatchesCoverBothRecurrentProducts() {
        assertThat(RecurrentProduct.MATRIX_PRODUCT_FROM).isGreaterThan(3).isLessThanOrEqualTo(32);
    }

    @ParameterizedTest(name = "batch {0}, {1} steps, conditioning {2}")
    @MethodSource("windows")
    void matchesTheFloatLayer(int batch, int steps, int conditioning) {
        Window w = Window.random(batch, steps, 5, 12, conditioning, 11L * batch + steps + conditioning);
        assertAgree(w.run(new FastLstmLayer(), DataType.FLOAT), w.run(new LstmLayer(), DataType.FLOAT));
    }

    @ParameterizedTest(name = "batch {0}, {1} steps, conditioning {2}")
    @MethodSource("windows")
    void matchesTheDoubleLayerToFloatPrecision(int batch, int steps, int conditioning) {
        Window w = Window.random(batch, steps, 5, 12, conditioning, 13L * batch + steps + conditioning);
        assertAgree(w.run(new FastLstmLayer(), DataType.FLOAT), w.run(new LstmLayer(), DataType.DOUBLE));
    }

    @Test
    void matchesAtTheModelsSizeInBothProductModes() {
        for (int batch : new int[] {RecurrentProduct.MATRIX_PRODUCT_FROM - 1, RecurrentProduct.MATRIX_PRODUCT_FROM}) {
            Window w = Window.random(batch, 4, 64, 256, 0, batch);
            assertAgree(w.run(new FastLstmLayer(), DataType.FLOAT), w.run(new LstmLayer(), DataType.FLOAT));
        }
    }

    @Test
    void readsViewsAndAddsIntoGradientArraysOfAnyLayout() {
        Window w = Window.random(3, 4, 5, 12, 2, 99);
        Map<String, double[]> expected = w.run(new LstmLayer(), DataType.FLOAT);
        assertAgree(w.runOnViews(new FastLstmLayer()), expected);
    }

    @ParameterizedTest(name = "batch {0}, {1} steps, {2} threads")
    @CsvSource({"32, 5, 2", "32, 3, 4", "17, 4, 2", "40, 4, 3"})
    void matchesTheFloatLayerWithItsStreamsSplitOverThreads(int batch, int steps, int threads) {
        Window w = Window.random(batch, steps, 5, 12, 3, 17L * batch + threads);
        assertThat(Parallelism.of(threads).parts(batch, FastLstmLayer.MIN_STREAMS_PER_PART)).isGreaterThan(1);
        assertAgree(w.run(new FastLstmLayer(Parallelism.of(threads)), DataType.FLOAT),
                w.run(new LstmLayer(), DataType.FLOAT));
    }

    @Test
    void refusesOtherDataTypesAndOtherLayersTraces() {
        Window w = Window.random(3, 4, 5, 12, 2, 5);
        for (DataType type : new DataType[] {DataType.DOUBLE, DataType.HALF}) {
            assertThatThrownBy(() -> w.run(new FastLstmLayer(), type)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("FLOAT parameters only, not " + type);
        }
        RecurrentLayer.Trace reference = new LstmLayer().forward(w.weights(DataType.FLOAT), w.input(DataType.FLOAT),
                w.array("h0", DataType.FLOAT), w.array("c0", DataType.FLOAT));
        assertThatThrownBy(() -> new FastLstmLayer().backward(w.weights(DataType.FLOAT), reference,
                        w.array("dOut", DataType.FLOAT), w.weights(DataType.FLOAT)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("its own traces");
    }

    @Test
    void namesAMisshapenCarriedState() {
        Window w = Window.random(3, 4, 5, 12, 0, 5);
        LayerWeights weights = w.weights(DataType.FLOAT);
        SequenceInput in = w.input(DataType.FLOAT);
        assertThatThrownBy(() -> new FastLstmLayer().forward(weights, in, Nd4j.zeros(DataType.FLOAT, 2, 12),
                        Nd4j.zeros(DataType.FLOAT, 3, 12)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("carried hidden state has shape [2, 12], expected [3, 12]");
        assertThatThrownBy(() -> new FastLstmLayer().forward(weights, in, Nd4j.zeros(DataType.FLOAT, 3, 12), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cell state");
    }

    /** Checks every array of {@code actual} against {@code expected} to the tolerance. */
    static void assertAgree(Map<String, double[]> actual, Map<String, double[]> expected) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        for (String name : expected.keySet()) {
            double[] e = expected.get(name);
            double[] a = actual.get(name);
            assertThat(a).as(name + " length").hasSameSizeAs(e);
            double scale = 0;
            for (double v : e) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertThat(scale).as(name + " is not all zeros").isGreaterThan(0);
            double worst = 0;
            int at = -1;
            for (int i = 0; i < e.length; i++) {
                double d = Math.abs(a[i] - e[i]);
                if (d > worst || Double.isNaN(d)) {
                    worst = d;
                    at = i;
                }
            }
            assertThat(worst / scale)
                    .as("%s: worst difference at %d (%s vs %s), scale %s", name, at,
                            at < 0 ? "" : a[at], at < 0 ? "" : e[at], scale)
                    .isLessThanOrEqualTo(FLOAT_TOLERANCE);
        }
    }

    /**
     * One random window with everything a layer reads: weights, inputs, keep mask (stream 0
     * reset at step 0 when there are several streams, stream {@code B-1} zeroed by a start token at
     * step 2, other zeros at random), carried state, conditioning, the gradient of the outputs,
     * and nonzero starting values of the gradient arrays. Values are held in double and cast to
     * the type under test.
     */
    record Window(int batch, int steps, int inputSize, int hidden, double[][] arrays, int[][] shapes,
            boolean conditioned) {
        static final String[] NAMES = {"Wx", "Wh", "b", "Wv", "x", "keep", "v", "h0", "c0", "dOut", "gWx", "gWh", "gb", "gWv"};

        static Window random(int batch, int steps, int inputSize, int hidden, int conditioning, long seed) {
            Random r = new Random(seed);
            int g = 4 * hidden;
            int rows = batch * steps;
            int k = Math.max(conditioning, 1);
            int[][] shapes = {{inputSize, g}, {hidden, g}, {1, g}, {k, g}, {rows, inputSize}, {rows, 1}, {batch, k},
                    {batch, hidden}, {batch, hidden}, {rows, hidden}, {inputSize, g}, {hidden, g}, {1, g}, {k, g}};
            double[][] arrays = new double[shapes.length][];
            for (int n = 0; n < shapes.length; n++) {
                arrays[n] = new double[shapes[n][0] * shapes[n][1]];
                double scale = switch (NAMES[n]) {
                    case "Wx" -> 1.5 / Math.sqrt(inputSize);
                    case "Wh", "Wv" -> 1.5 / Math.sqrt(hidden);
                    case "c0" -> 2.0;
                    default -> 1.0;
                };
                for (int i = 0; i < arrays[n].length; i++) {
                    arrays[n][i] = (r.nextDouble() * 2 - 1) * scale;
                }
            }
            double[] keep = arrays[5];
            for (int i = 0; i < keep.length; i++) {
                keep[i] = r.nextInt(5) == 0 ? 0 : 1;
            }
            if (batch > 1) {
                keep[0] = 0;
                keep[1] = 1;
            }
            if (steps > 2) {
                keep[2 * batch + batch - 1] = 0;
            }
            return new Window(batch, steps, inputSize, hidden, arrays, shapes, conditioning > 0);
        }

        INDArray array(String name, DataType type) {
            int n = java.util.Arrays.asList(NAMES).indexOf(name);
            return Nd4j.create(arrays[n], new long[] {shapes[n][0], shapes[n][1]}, type);
        }

        LayerWeights weights(DataType type) {
            return new LayerWeights(array("Wx", type), array("Wh", type), array("b", type),
                    conditioned ? array("Wv", type) : null);
        }

        SequenceInput input(DataType type) {
            return new SequenceInput(array("x", type), array("keep", type), conditioned ? array("v", type) : null,
                    steps, batch);
        }

        /** Forward and backward on fresh arrays of the type; everything that comes out, as doubles. */
        Map<String, double[]> run(RecurrentLayer layer, DataType type) {
            LayerWeights grads = new LayerWeights(array("gWx", type), array("gWh", type), array("gb", type),
                    conditioned ? array("gWv", type) : null);
            return runWith(layer, weights(type), input(type), array("h0", type), array("c0", type),
                    array("dOut", type), grads);
        }

        /** As {@link #run} in FLOAT, but every array handed over is a view or in column-major order. */
        Map<String, double[]> runOnViews(RecurrentLayer layer) {
            DataType f = DataType.FLOAT;
            LayerWeights weights = new LayerWeights(array("Wx", f).dup('f'), inner(array("Wh", f)), array("b", f),
                    conditioned ? array("Wv", f).dup('f') : null);
            SequenceInput in = new SequenceInput(inner(array("x", f)), array("keep", f).dup('f'),
                    conditioned ? inner(array("v", f)) : null, steps, batch);
            LayerWeights grads = new LayerWeights(inner(array("gWx", f)), array("gWh", f).dup('f'),
                    inner(array("gb", f)), conditioned ? array("gWv", f).dup('f') : null);
            return runWith(layer, weights, in, inner(array("h0", f)), array("c0", f).dup('f'),
                    inner(array("dOut", f)), grads);
        }

        /** The same values as a view into the middle of a larger array. */
        static INDArray inner(INDArray a) {
            INDArray big = Nd4j.rand(a.dataType(), a.rows() + 2, a.columns() + 3);
            INDArray view = big.get(NDArrayIndex.interval(1, 1 + a.rows()), NDArrayIndex.interval(2, 2 + a.columns()));
            return view.assign(a);
        }

        private static Map<String, double[]> runWith(RecurrentLayer layer, LayerWeights weights, SequenceInput in,
                INDArray h0, INDArray c0, INDArray dOut, LayerWeights grads) {
            RecurrentLayer.Trace trace = layer.forward(weights, in, h0, c0);
            Map<String, double[]> out = new LinkedHashMap<>();
            out.put("output", values(trace.output()));
            out.put("lastHidden", values(trace.lastHidden()));
            out.put("lastCell", values(trace.lastCell()));
            RecurrentLayer.Backward back = layer.backward(weights, trace, dOut, grads);
            out.put("dInput", values(back.dInput()));
            out.put("dHidden0", values(back.dHidden0()));
            out.put("dCell0", values(back.dCell0()));
            out.put("gWx", values(grads.inputWeights()));
            out.put("gWh", values(grads.recurrentWeights()));
            out.put("gb", values(grads.bias()));
            if (grads.conditioningWeights() != null) {
                out.put("gWv", values(grads.conditioningWeights()));
            }
            return out;
        }

        private static double[] values(INDArray a) {
            return a.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        }
    }
}
