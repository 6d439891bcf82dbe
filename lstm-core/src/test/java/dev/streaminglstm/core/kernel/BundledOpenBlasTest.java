package dev.streaminglstm.core.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * In a process that uses ND4J (as every test here does), the BLAS symbols resolve into the
 * bundled OpenBLAS, which has chosen one of its kernel families; ND4J's own products run on it.
 */
class BundledOpenBlasTest {

    @Test
    void theProcessBlasCallsResolveIntoTheBundledLibrary() throws IOException {
        Nd4j.create(DataType.FLOAT, 2, 2);
        BundledOpenBlas.Status status = BundledOpenBlas.load();
        assertThat(status.bundled()).as(status.toString()).isTrue();
        List<String> maps = Files.readAllLines(Path.of("/proc/self/maps"));
        for (String symbol : new String[] {"cblas_sgemm", "cblas_sgemv", "openblas_set_num_threads"}) {
            Pointer address = Loader.addressof(symbol);
            assertThat(address).as(symbol).isNotNull();
            assertThat(mappingOf(maps, address.address())).as(symbol).isEqualTo(status.library());
        }
        assertThat(BundledOpenBlas.core()).isNotEqualTo("unknown");
    }

    @Test
    void aBenchmarksLineNamesTheKernelFamilyAndTheEnvironmentThatCanForceIt() {
        String line = BundledOpenBlas.describe();
        String library = "BLAS: OpenBLAS " + BundledOpenBlas.VERSION + " (bundled), core " + BundledOpenBlas.core();
        assertThat(line).startsWith(library)
                .contains("OPENBLAS_CORETYPE=" + environment("OPENBLAS_CORETYPE"))
                .endsWith("OPENBLAS_L2_SIZE=" + environment("OPENBLAS_L2_SIZE"));
    }

    private static String environment(String name) {
        String value = System.getenv(name);
        return value == null ? "(unset)" : value;
    }

    @Test
    void nd4jsProductsAreRightOnIt() {
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {7, 8, 9, 10, 11, 12};
        float[] c = Nd4j.create(a, new long[] {2, 3}, 'c').mmul(Nd4j.create(b, new long[] {3, 2}, 'c')).ravel().toFloatVector();
        assertThat(c).containsExactly(58, 64, 139, 154);
    }

    /** The file mapped at {@code address}, or null. */
    private static String mappingOf(List<String> maps, long address) {
        for (String line : maps) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16)) {
                int path = line.indexOf('/');
                return path < 0 ? null : Path.of(line.substring(path)).toString();
            }
        }
        return null;
    }
}
