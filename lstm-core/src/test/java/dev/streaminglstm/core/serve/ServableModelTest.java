package dev.streaminglstm.core.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.format.ModelFile;
import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.kernel.Kernel;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.nn.LanguageModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import java.io.ByteArrayOutputStream;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

/** One decoding of a stored parameter file, for serving, the command line and the training start. */
class ServableModelTest {
    static final ModelConfig MODEL = new ModelConfig(ByteVocabulary.SIZE, 8, 16, 2, CellType.LSTM, 0);

    static byte[] file(ModelConfig config, ParameterSet parameters) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ModelFile.write(bytes, config, Map.of("k", "v"), parameters);
        return bytes.toByteArray();
    }

    @Test
    void decodesAStoredFileToTheSameFloatParametersAndReadsAsTheReferenceModel() throws Exception {
        ParameterSet doubles = ParameterSet.initialize(MODEL, DataType.DOUBLE, 3);
        ServableModel served = ServableModel.decode(9, file(MODEL, doubles), MODEL, Kernel.FAST);

        assertThat(served.version()).isEqualTo(9);
        assertThat(served.config()).isEqualTo(MODEL);
        assertThat(served.parameters().dataType()).isEqualTo(DataType.FLOAT);
        assertThat(served.parameters().toFlatFloats()).isEqualTo(doubles.castTo(DataType.FLOAT).toFlatFloats());
        assertThat(served.describe()).isEqualTo("LSTM 258 tokens, embed 8, hidden 16 x 2");
        assertThat(served.model().kernel()).isEqualTo("fast");

        int[] text = ByteVocabulary.encode("streams");
        float[] stepped = served.session(null).feed(text);
        float[] reference = new LanguageModel(MODEL).stepper(served.parameters(), null, ByteVocabulary.START)
                .feed(text);
        for (int i = 0; i < stepped.length; i++) {
            assertThat(stepped[i]).isCloseTo(reference[i], org.assertj.core.data.Offset.offset(1e-5f));
        }
    }

    @Test
    void aFileOfAnotherShapeIsRefusedWhereAShapeIsExpectedAndReadWhereNoneIs() throws Exception {
        ModelConfig other = ModelConfig.lstm(ByteVocabulary.SIZE, 8, 32);
        byte[] bytes = file(other, ParameterSet.initialize(other, DataType.FLOAT, 1));

        assertThatThrownBy(() -> ServableModel.decode(1, bytes, MODEL, Kernel.FAST))
                .isInstanceOf(ModelFormatException.class);
        assertThat(ServableModel.decode(1, bytes, Kernel.FAST).config()).isEqualTo(other);
    }

    @Test
    void runsOnTheNamedKernelAndTheFastOneRefusesAnRnnModel() throws Exception {
        ModelConfig rnn = MODEL.withCell(CellType.RNN);
        byte[] bytes = file(rnn, ParameterSet.initialize(rnn, DataType.FLOAT, 2));

        assertThatThrownBy(() -> ServableModel.decode(1, bytes, rnn, Kernel.FAST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LSTM cells only");
        assertThat(ServableModel.decode(1, bytes, rnn, Kernel.REFERENCE).model().kernel()).isEqualTo("reference");
        assertThat(ServableModel.decodeOnFastestKernel(1, bytes).model().kernel()).isEqualTo("reference");
        byte[] lstm = file(MODEL, ParameterSet.initialize(MODEL, DataType.FLOAT, 2));
        assertThat(ServableModel.decodeOnFastestKernel(1, lstm).model().kernel()).isEqualTo("fast");
    }

    @Test
    void scoresTextInBitsPerTokenWhateverTheWindow() throws Exception {
        byte[] bytes = file(MODEL, ParameterSet.initialize(MODEL, DataType.FLOAT, 4));
        ServableModel served = ServableModel.decode(1, bytes, Kernel.FAST);
        int[] tokens = ByteVocabulary.encode("a stream of text, read in windows");

        assertThat(served.bitsPerToken(tokens, 5, null))
                .isCloseTo(served.bitsPerToken(tokens, 64, null), org.assertj.core.data.Offset.offset(1e-4));
        assertThat(served.bitsPerToken(tokens, 64, null)).isBetween(7.0, 9.0); // untrained: about log2(258)
    }
}
