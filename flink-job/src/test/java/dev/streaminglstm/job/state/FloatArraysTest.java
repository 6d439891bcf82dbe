package dev.streaminglstm.job.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class FloatArraysTest {

    @Test
    void writesTheBytesOfWriteFloatAndReadsThemBack() throws IOException {
        float[] values = {0f, -1.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN, 3.25e-7f};
        ByteArrayOutputStream bulk = new ByteArrayOutputStream();
        FloatArrays.write(new DataOutputStream(bulk), values);
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(one);
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }

        assertThat(bulk.toByteArray()).isEqualTo(one.toByteArray());
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bulk.toByteArray()));
        assertThat(FloatArrays.read(in, in.available())).isEqualTo(values);
    }

    @Test
    void aLengthBeyondWhatIsLeftIsRefusedBeforeAnythingIsAllocated() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        new DataOutputStream(bytes).writeInt(Integer.MAX_VALUE);
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()));

        assertThatThrownBy(() -> FloatArrays.read(in, 16)).isInstanceOf(IOException.class)
                .hasMessageContaining("2147483647 values where at most 16 bytes are left");
    }
}
