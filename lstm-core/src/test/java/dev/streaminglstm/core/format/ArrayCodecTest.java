package dev.streaminglstm.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.core.model.ParameterNames;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class ArrayCodecTest {

    @Test
    void viewsAreWrittenAsTheirDenseValues() throws IOException {
        INDArray base = Nd4j.arange(0, 24).castTo(DataType.DOUBLE).reshape('c', 4, 6);
        INDArray transposed = base.transpose(); // 'f'-ordered view, [6, 4]
        INDArray block = base.get(NDArrayIndex.interval(1, 3),
                NDArrayIndex.interval(2, 5)); // strided view, [2, 3]
        for (INDArray array : new INDArray[] {transposed, block, base.castTo(DataType.FLOAT)}) {
            ParameterNames.Spec spec = new ParameterNames.Spec("x", array.rows(), array.columns());
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ChecksummedOutput out = new ChecksummedOutput(bytes);
            ArrayCodec.write(out, "x", array);
            out.finish();
            assertThat((long) bytes.size()).isEqualTo(ArrayCodec.recordLength(spec, array.dataType()) + 4);

            ChecksummedInput in = new ChecksummedInput(new ByteArrayInputStream(bytes.toByteArray()), "test");
            EncodedArray encoded = ArrayCodec.read(in, spec, array.dataType(), 0, 1);
            in.verifyChecksum();
            INDArray back = encoded.toArray();
            assertThat(back.shape()).containsExactly(array.shape());
            assertThat(back.dataType()).isEqualTo(array.dataType());
            assertThat(ParameterBits.of(back)).containsExactly(ParameterBits.of(array));
        }
    }

    @Test
    void rejectsArraysThatCannotBeStored() {
        ChecksummedOutput out = new ChecksummedOutput(new ByteArrayOutputStream());
        assertThatThrownBy(() -> ArrayCodec.write(out, "halves", Nd4j.zeros(DataType.HALF, 2, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("only FLOAT and DOUBLE arrays can be stored, not HALF");
        assertThatThrownBy(() -> ArrayCodec.write(out, "cube", Nd4j.zeros(DataType.FLOAT, 2, 2, 2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("array 'cube' has rank 3, expected 2");
    }
}
