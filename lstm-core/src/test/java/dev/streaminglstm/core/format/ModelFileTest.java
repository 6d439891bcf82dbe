package dev.streaminglstm.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.model.ParameterSet;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

class ModelFileTest {
    private static final ModelConfig SMALL = new ModelConfig(5, 2, 2, 1, CellType.LSTM, 1);
    private static final Map<String, String> SETTINGS = Map.of(
            "optimizer.kind", "ADAGRAD", "optimizer.learningRate", "0.1", "note", "naïve — 日本 😀");

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of(ModelConfig.lstm(258, 8, 6), DataType.FLOAT),
                Arguments.of(ModelConfig.lstm(258, 8, 6), DataType.DOUBLE),
                Arguments.of(new ModelConfig(40, 5, 7, 3, CellType.LSTM, 4), DataType.FLOAT),
                Arguments.of(new ModelConfig(40, 5, 7, 3, CellType.LSTM, 4), DataType.DOUBLE),
                Arguments.of(new ModelConfig(30, 3, 4, 2, CellType.RNN, 2), DataType.FLOAT),
                Arguments.of(new ModelConfig(30, 3, 4, 2, CellType.RNN, 0), DataType.DOUBLE));
    }

    @ParameterizedTest
    @MethodSource("shapes")
    void roundTripIsBitExact(ModelConfig config, DataType type) throws IOException {
        ParameterSet params = ParameterSet.initialize(config, type, 11);
        // values a lossy codec would change: NaN payload, signed zero, infinity, a subnormal
        params.get(ParameterNames.HEAD_BIAS).putScalar(0, Double.NaN);
        params.get(ParameterNames.HEAD_BIAS).putScalar(1, -0.0);
        params.get(ParameterNames.HEAD_BIAS).putScalar(2, Double.NEGATIVE_INFINITY);
        params.get(ParameterNames.bias(0)).putScalar(0, type == DataType.FLOAT ? Float.MIN_VALUE : Double.MIN_VALUE);

        StoredParameters stored = ModelFile.read(new ByteArrayInputStream(write(config, SETTINGS, params)));

        assertThat(stored.config()).isEqualTo(config);
        assertThat(stored.formatVersion()).isEqualTo(1);
        assertThat(stored.hyperParameters()).isEqualTo(SETTINGS);
        assertThat(stored.parameters().dataType()).isEqualTo(type);
        assertThat(stored.parameters().names()).isEqualTo(params.names());
        Map<String, long[]> expected = ParameterBits.of(params);
        ParameterBits.of(stored.parameters()).forEach((name, bits) ->
                assertThat(bits).as(name).containsExactly(expected.get(name)));
    }

    @Test
    void roundTripThroughARealFile(@TempDir Path dir) throws IOException {
        ModelConfig config = new ModelConfig(258, 16, 32, 2, CellType.LSTM, 3);
        ParameterSet params = ParameterSet.initialize(config, DataType.FLOAT, 4);
        Path file = dir.resolve("model.slstm");
        try (OutputStream out = Files.newOutputStream(file)) {
            ModelFile.write(out, config, SETTINGS, params);
        }
        StoredParameters stored;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            stored = ModelFile.read(in, config);
        }
        assertThat(ParameterBits.of(stored.parameters()).keySet()).containsExactlyElementsOf(params.names());
        Map<String, long[]> expected = ParameterBits.of(params);
        ParameterBits.of(stored.parameters()).forEach((name, bits) ->
                assertThat(bits).as(name).containsExactly(expected.get(name)));
    }

    @Test
    void readsExactlyOneFileFromAStream() throws IOException {
        ParameterSet a = ParameterSet.initialize(SMALL, DataType.FLOAT, 1);
        ParameterSet b = ParameterSet.initialize(SMALL.withLayers(2), DataType.DOUBLE, 2);
        ByteArrayOutputStream both = new ByteArrayOutputStream();
        ModelFile.write(both, SMALL, Map.of(), a);
        ModelFile.write(both, SMALL.withLayers(2), Map.of("k", "v"), b);
        ByteArrayInputStream in = new ByteArrayInputStream(both.toByteArray());

        assertThat(ModelFile.read(in).config()).isEqualTo(SMALL);
        StoredParameters second = ModelFile.read(in, SMALL.withLayers(2));
        assertThat(second.hyperParameters()).containsExactly(Map.entry("k", "v"));
        assertThat(in.available()).isZero();
    }

    @Test
    void writingIsDeterministicWhateverTheMapOrder() throws IOException {
        ParameterSet params = ParameterSet.initialize(SMALL, DataType.FLOAT, 3);
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("a", "1");
        forward.put("b", "2");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("b", "2");
        backward.put("a", "1");
        assertThat(write(SMALL, forward, params)).isEqualTo(write(SMALL, backward, params));
    }

    @Test
    void everyTruncationIsReportedAsSuch() throws IOException {
        byte[] file = write(SMALL, SETTINGS, ParameterSet.initialize(SMALL, DataType.FLOAT, 5));
        for (int length = 0; length < file.length; length++) {
            byte[] cut = Arrays.copyOf(file, length);
            Throwable thrown = catchThrowable(() -> ModelFile.read(new ByteArrayInputStream(cut)));
            assertThat(thrown).as("file cut to %d of %d bytes", length, file.length)
                    .isExactlyInstanceOf(ModelFormatException.class);
            if (length > 0) {
                assertThat(thrown.getMessage()).startsWith("file ends after " + length + " bytes, expected ");
            }
        }
        byte[] lastByteMissing = Arrays.copyOf(file, file.length - 1);
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(lastByteMissing)))
                .hasMessage("file ends after " + (file.length - 1) + " bytes, expected " + file.length);
    }

    @Test
    void everyFlippedByteIsRejected() throws IOException {
        byte[] file = write(SMALL, SETTINGS, ParameterSet.initialize(SMALL, DataType.DOUBLE, 6));
        for (int flip : new int[] {0x01, 0x80, 0xFF}) {
            for (int offset = 0; offset < file.length; offset++) {
                byte[] damaged = file.clone();
                damaged[offset] ^= (byte) flip;
                Throwable plain = catchThrowable(() -> ModelFile.read(new ByteArrayInputStream(damaged)));
                Throwable expecting = catchThrowable(() -> ModelFile.read(new ByteArrayInputStream(damaged), SMALL));
                assertThat(plain).as("byte %d xor %x", offset, flip).isExactlyInstanceOf(ModelFormatException.class);
                assertThat(expecting).as("byte %d xor %x", offset, flip).isExactlyInstanceOf(ModelFormatException.class);
            }
        }
    }

    @Test
    void damagedValuesAreAChecksumMismatch() throws IOException {
        byte[] file = write(SMALL, SETTINGS, ParameterSet.initialize(SMALL, DataType.FLOAT, 7));
        file[file.length - 10] ^= 0x04; // inside the values of the last array
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(file)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("checksum mismatch");
    }

    @Test
    void rejectsAnUnknownVersion() throws IOException {
        byte[] file = write(SMALL, SETTINGS, ParameterSet.initialize(SMALL, DataType.FLOAT, 8));
        ByteBuffer.wrap(file).putInt(8, 7);
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(file)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("format version 7 is not supported; this build reads 1");
    }

    @Test
    void rejectsAnotherKindOfFile() {
        byte[] text = "hello, this is not a model at all".getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(text)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("not a streaming-lstm parameter file (bad magic number)");
        byte[] shortText = "SL".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(shortText)))
                .hasMessage("file ends after 2 bytes, expected at least 8");
    }

    @Test
    void rejectsAnEmptyStream() {
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(new byte[0])))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("empty input: not a streaming-lstm parameter file");
    }

    @Test
    void rejectsAModelOfAnotherShape() throws IOException {
        ModelConfig rnn = SMALL.withCell(CellType.RNN);
        byte[] file = write(rnn, SETTINGS, ParameterSet.initialize(rnn, DataType.FLOAT, 9));
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(file), SMALL))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("file holds a model of shape RNN vocab=5 embed=2 hidden=2 layers=1 conditioning=1, "
                        + "expected LSTM vocab=5 embed=2 hidden=2 layers=1 conditioning=1");
    }

    @Test
    void rejectsAnUnknownDataType() throws IOException {
        byte[] file = handMade(out -> {
            writeHeader(out, "LSTM", 5, 2, 2, 1, 1, "HALF");
        });
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(file)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("unknown data type 'HALF'; expected FLOAT or DOUBLE");
    }

    @Test
    void rejectsAnUnknownCellType() throws IOException {
        byte[] file = handMade(out -> writeHeader(out, "GRU", 5, 2, 2, 1, 1, "FLOAT"));
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(file)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("unknown cell type 'GRU'; this build reads [RNN, LSTM]");
    }

    @Test
    void rejectsImpossibleAndAbsurdSizesBeforeAllocating() throws IOException {
        byte[] tooWide = handMade(out -> writeHeader(out, "LSTM", 5, 2, ModelConfig.MAX_DIMENSION + 1, 1, 0, "FLOAT"));
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(tooWide)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("the header holds an impossible model shape: hiddenSize must be in");
        int max = ModelConfig.MAX_DIMENSION;
        byte[] huge = handMade(out -> {
            writeHeader(out, "LSTM", max, max, max, 64, max, "DOUBLE");
            out.writeInt(0);
        });
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(huge)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessageContaining("above the limit of 1073741824");
        byte[] longName = handMade(out -> {
            out.writeBytes("SLSTMPRM".getBytes(StandardCharsets.US_ASCII));
            out.writeInt(1);
            out.writeInt(2_000_000_000);
        });
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(longName)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("cell type has a length of 2000000000 bytes, outside [0, 64]");
        byte[] manySettings = handMade(out -> {
            writeHeader(out, "LSTM", 5, 2, 2, 1, 1, "FLOAT");
            out.writeInt(Integer.MAX_VALUE);
        });
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(manySettings)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("the header declares 2147483647 hyper-parameters, outside [0, 4096]");
    }

    @Test
    void rejectsWrongArrayNamesAndShapes() throws IOException {
        ParameterSet params = ParameterSet.initialize(SMALL, DataType.FLOAT, 10);
        List<ParameterNames.Spec> specs = ParameterNames.specs(SMALL);
        byte[] renamed = handMade(out -> {
            writeHeader(out, "LSTM", 5, 2, 2, 1, 1, "FLOAT");
            out.writeInt(0);
            ArrayCodec.write(out, "embeddings", params.get(ParameterNames.EMBEDDING));
        });
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(renamed)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("array 1 of " + specs.size() + " is named 'embeddings', expected 'embedding'");
        byte[] reshaped = handMade(out -> {
            writeHeader(out, "LSTM", 5, 2, 2, 1, 1, "FLOAT");
            out.writeInt(0);
            ArrayCodec.write(out, ParameterNames.EMBEDDING, params.get(ParameterNames.EMBEDDING).reshape(2, 5));
        });
        assertThatThrownBy(() -> ModelFile.read(new ByteArrayInputStream(reshaped)))
                .isExactlyInstanceOf(ModelFormatException.class)
                .hasMessage("array 'embedding' has shape [2, 5], expected [5, 2]");
    }

    @Test
    void writeRejectsParametersOfAnotherShape() {
        ParameterSet params = ParameterSet.initialize(SMALL, DataType.FLOAT, 12);
        assertThatThrownBy(() -> ModelFile.write(new ByteArrayOutputStream(), SMALL.withLayers(2), Map.of(), params))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("parameters are of shape LSTM vocab=5 embed=2 hidden=2 layers=1");
    }

    static byte[] write(ModelConfig config, Map<String, String> settings, ParameterSet params) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ModelFile.write(out, config, settings, params);
        return out.toByteArray();
    }

    interface Content {
        void writeTo(ChecksummedOutput out) throws IOException;
    }

    /** A file whose content a test writes field by field, with a valid checksum. */
    static byte[] handMade(Content content) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ChecksummedOutput out = new ChecksummedOutput(bytes);
        content.writeTo(out);
        out.finish();
        return bytes.toByteArray();
    }

    static void writeHeader(ChecksummedOutput out, String cell, int vocab, int embed, int hidden, int layers,
            int conditioning, String dataType) throws IOException {
        out.writeBytes("SLSTMPRM".getBytes(StandardCharsets.US_ASCII));
        out.writeInt(1);
        out.writeString(cell, 64, "cell");
        out.writeInt(vocab);
        out.writeInt(embed);
        out.writeInt(hidden);
        out.writeInt(layers);
        out.writeInt(conditioning);
        out.writeString(dataType, 64, "type");
    }
}
