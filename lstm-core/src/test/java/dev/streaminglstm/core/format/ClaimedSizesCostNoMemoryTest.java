package dev.streaminglstm.core.format;

import static dev.streaminglstm.core.format.ModelFileTest.handMade;
import static dev.streaminglstm.core.format.ModelFileTest.writeHeader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterNames;
import dev.streaminglstm.core.optim.OptimizerStateCodec;
import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Parameter files and optimiser states come from a store anyone with write access to it can fill: their headers are
 * claims, and a claim must not cost memory. Each hostile input here is a few bytes whose header claims an absurd
 * amount (an array of 2^31 values, half a gigabyte of values that are not there, a string of 2 GB, two billion
 * hyper-parameters); each must be refused with a message saying what is wrong, while the reading thread allocates
 * less than {@value #ALLOWANCE_BYTES} bytes, as the JVM counts them.
 */
class ClaimedSizesCostNoMemoryTest {

    private static final long ALLOWANCE_BYTES = 1 << 20;
    /** 2^27 floats: half a gigabyte, under the reader's limit of a gigabyte of values. */
    private static final int VOCAB_OF_HALF_A_GIGABYTE = 1 << 16;
    private static final int EMBED = 1 << 11;

    static Stream<Arguments> hostileInputs() throws Exception {
        byte[] twoToThe31 = handMade(out -> {
            writeHeader(out, "LSTM", ModelConfig.MAX_DIMENSION, EMBED, 1, 1, 0, "FLOAT"); // embedding 2^20 x 2^11
            out.writeInt(0);
        });
        byte[] halfAGigabyteMissing = handMade(out -> {
            writeHeader(out, "LSTM", VOCAB_OF_HALF_A_GIGABYTE, EMBED, 1, 1, 0, "FLOAT");
            out.writeInt(0);
            out.writeString(ParameterNames.EMBEDDING, 256, "name");
            out.writeInt(VOCAB_OF_HALF_A_GIGABYTE);
            out.writeInt(EMBED); // ... and then no values at all
        });
        byte[] twoGigabyteString = handMade(out -> {
            writeHeader(out, "LSTM", 5, 2, 2, 1, 0, "FLOAT");
            out.writeInt(1);
            out.writeInt(Integer.MAX_VALUE);
        });
        byte[] twoBillionSettings = handMade(out -> {
            writeHeader(out, "LSTM", 5, 2, 2, 1, 0, "FLOAT");
            out.writeInt(2_000_000_000);
        });
        byte[] adamMomentsMissing = handMade(out -> {
            out.writeBytes("SLSTMOPT".getBytes(StandardCharsets.US_ASCII));
            out.writeInt(OptimizerStateCodec.FORMAT_VERSION);
            out.writeString("ADAM", 64, "kind");
            out.writeLong(1);
            out.writeLong(0);
            new ParameterHeader(new ModelConfig(VOCAB_OF_HALF_A_GIGABYTE, EMBED, 1, 1, CellType.LSTM, 0), DataType.FLOAT)
                    .write(out);
            out.writeString("m", 64, "moment");
            out.writeString(ParameterNames.EMBEDDING, 256, "name");
            out.writeInt(VOCAB_OF_HALF_A_GIGABYTE);
            out.writeInt(EMBED);
        });
        return Stream.of(
                Arguments.of("an array of 2^31 values", parameters(twoToThe31),
                        "a model of shape LSTM vocab=1048576 embed=2048 hidden=1 layers=1 conditioning=0 holds "
                                + "8598356000 bytes of FLOAT values, above the limit of 1073741824"),
                Arguments.of("half a gigabyte of values that are not there", parameters(halfAGigabyteMissing),
                        "file ends after " + halfAGigabyteMissing.length + " bytes, expected 537428176"),
                Arguments.of("a string of 2 GB", parameters(twoGigabyteString),
                        "hyper-parameter key 1 of 1 has a length of 2147483647 bytes, outside [0, 65536]"),
                Arguments.of("two billion hyper-parameters", parameters(twoBillionSettings),
                        "the header declares 2000000000 hyper-parameters, outside [0, 4096]"),
                Arguments.of("Adam moments of half a gigabyte that are not there", optimizerState(adamMomentsMissing),
                        "optimizer state ends after " + adamMomentsMissing.length + " bytes, expected 1074856325"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileInputs")
    void aHeaderThatClaimsTooMuchIsRefusedWithoutAllocatingIt(String claim, Reader reader, String message) {
        catchThrowable(reader::read); // loads the classes involved, which allocates once

        long before = allocatedBytes();
        Throwable refusal = catchThrowable(reader::read);
        long allocated = allocatedBytes() - before;

        assertThat(refusal).as(claim).isExactlyInstanceOf(ModelFormatException.class).hasMessage(message);
        assertThat(allocated).as("bytes allocated while refusing %s", claim).isLessThan(ALLOWANCE_BYTES);
    }

    /** One read of a hostile input. */
    interface Reader {
        void read() throws Exception;
    }

    private static Reader parameters(byte[] file) {
        return () -> ModelFile.read(new ByteArrayInputStream(file));
    }

    private static Reader optimizerState(byte[] bytes) {
        return () -> OptimizerStateCodec.fromBytes(bytes);
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }
}
