package dev.streaminglstm.core.kernel;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.nd4j.common.io.Resource;
import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4jBackend;

/**
 * Puts a current OpenBLAS ({@value #VERSION}, from {@code org.bytedeco:openblas}, unpacked into
 * this module's resources at build time) under every BLAS call of the process, the kernel's and
 * ND4J's alike, in place of the 0.3.19 that ND4J 1.0.0-M2.1 bundles. 0.3.19 does not know recent
 * CPUs: it runs an AMD Zen 5 on its generic "Barcelona" kernels (1024^3 sgemm on one core: 43
 * GFLOP/s, against 196 for 0.3.31 on its AVX-512 kernels), and an AVX-512 Xeon at 101 against
 * 166 for Debian's 0.3.21 (issue 9).
 *
 * <p>How: the library is opened globally ({@code RTLD_GLOBAL}) before ND4J loads its own. The
 * dynamic linker resolves a symbol in the global scope before a library's own dependencies, so
 * ND4J's and JavaCPP's {@code cblas_*} calls bind to this one; ND4J's copy is still loaded, but
 * nothing calls it. OpenBLAS still reads {@code OPENBLAS_CORETYPE} and its thread settings from
 * the environment. {@link LoadHook} runs this before ND4J touches a native library; set the
 * system property {@code streaminglstm.openblas=nd4j} to keep ND4J's.
 */
public final class BundledOpenBlas {
    public static final String VERSION = "0.3.31";
    /** {@code bundled} (the default) or {@code nd4j}. */
    public static final String PROPERTY = "streaminglstm.openblas";
    private static final String RESOURCES = "/dev/streaminglstm/core/kernel/openblas/org/bytedeco/openblas/linux-x86_64/";
    /** The library last: the others are its dependencies, found beside it through its {@code $ORIGIN} run path. */
    private static final String[] FILES = {"libgcc_s.so.1", "libquadmath.so.0", "libgfortran.so.5", "libopenblas.so.0"};
    /** The kernel families a DYNAMIC_ARCH build of {@value #VERSION} carries for x86-64. */
    private static final String[] CORES = {"SAPPHIRERAPIDS", "COOPERLAKE", "SKYLAKEX", "HASWELL", "ZEN", "SANDYBRIDGE",
            "EXCAVATOR", "STEAMROLLER", "PILEDRIVER", "BULLDOZER", "NEHALEM", "CORE2", "PRESCOTT", "BARCELONA"};
    private static Status status;

    private BundledOpenBlas() {}

    /**
     * Which OpenBLAS runs the process's BLAS calls.
     *
     * @param bundled whether it is this class's {@value #VERSION}
     * @param library the file, when known
     * @param detail why not, when it is not
     */
    public record Status(boolean bundled, String library, String detail) {
        @Override
        public String toString() {
            return bundled ? "OpenBLAS " + VERSION + " (bundled), core " + core()
                    : "ND4J's OpenBLAS 0.3.19 (" + detail + ")";
        }
    }

    /** Loads the bundled library unless something loaded an OpenBLAS first; idempotent. */
    public static synchronized Status load() {
        if (status == null) {
            status = tryLoad();
        }
        return status;
    }

    /**
     * A benchmark's line on its BLAS: the library, its kernel family, and the environment that can
     * force one ({@code OPENBLAS_CORETYPE}, {@code OPENBLAS_L2_SIZE}), since figures from two
     * kernel families do not compare.
     */
    public static String describe() {
        return "BLAS: " + load() + "; OPENBLAS_CORETYPE=" + environment("OPENBLAS_CORETYPE")
                + " OPENBLAS_L2_SIZE=" + environment("OPENBLAS_L2_SIZE");
    }

    private static String environment(String name) {
        return Optional.ofNullable(System.getenv(name)).orElse("(unset)");
    }

    /**
     * The kernel family the bundled OpenBLAS chose for this CPU (or was told to by
     * {@code OPENBLAS_CORETYPE}), such as {@code COOPERLAKE}; {@code unknown} when the bundled
     * library is not in use.
     */
    public static String core() {
        Pointer chosen = Loader.addressof("gotoblas");
        if (status == null || !status.bundled() || chosen == null) {
            return "unknown";
        }
        long table = new PointerPointer<>(chosen).get(0).address();
        for (String core : CORES) {
            Pointer candidate = Loader.addressof("gotoblas_" + core);
            if (candidate != null && candidate.address() == table) {
                return core;
            }
        }
        return "unknown";
    }

    private static Status tryLoad() {
        String choice = System.getProperty(PROPERTY, "bundled");
        if (choice.equals("nd4j")) {
            return new Status(false, null, "-D" + PROPERTY + "=nd4j");
        }
        if (!choice.equals("bundled")) {
            throw new IllegalArgumentException("-D" + PROPERTY + " must be bundled or nd4j, was '" + choice + "'");
        }
        if (!Loader.getPlatform().equals("linux-x86_64")) {
            return new Status(false, null, "bundled for linux-x86_64 only, this is " + Loader.getPlatform());
        }
        Optional<String> already = mappedOpenBlas();
        if (already.isPresent()) {
            return new Status(false, already.get(), "an OpenBLAS was loaded before this class ran");
        }
        try {
            File library = null;
            for (String name : FILES) {
                library = Loader.cacheResource(BundledOpenBlas.class, RESOURCES + name);
                if (library == null) {
                    return new Status(false, null, "resource " + RESOURCES + name + " missing (build with Maven)");
                }
            }
            Loader.loadGlobal(library.getPath());
            return new Status(true, library.getPath(), "");
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return new Status(false, null, "the bundled OpenBLAS did not load: " + e);
        }
    }

    /** The file of an OpenBLAS the process has mapped, if any. */
    private static Optional<String> mappedOpenBlas() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream()
                    .filter(line -> line.contains("libopenblas"))
                    .map(line -> line.substring(line.indexOf('/')))
                    .findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Not a backend: a hook. ND4J instantiates every {@link Nd4jBackend} on the class path
     * (listed in {@code META-INF/services}) before it loads any native library, so constructing
     * this one loads the bundled OpenBLAS first in any process that uses ND4J. It is never
     * available and sorts last, so ND4J never chooses it.
     */
    public static final class LoadHook extends Nd4jBackend {
        public LoadHook() throws NoAvailableBackendException {
            BundledOpenBlas.load(); // qualified: a bare load() is the inherited Nd4jBackend.load()
        }

        @Override
        public int getPriority() {
            return -1_000_000; // below every real backend; not MIN_VALUE, which a subtracting comparator overflows
        }

        @Override
        public boolean isAvailable() {
            return false;
        }

        @Override
        public boolean canRun() {
            return false;
        }

        @Override
        public boolean allowsOrder() {
            return false;
        }

        @Override
        public Resource getConfigurationResource() {
            throw notABackend();
        }

        @Override
        public Class<?> getNDArrayClass() {
            throw notABackend();
        }

        @Override
        public Environment getEnvironment() {
            throw notABackend();
        }

        @Override
        public String buildInfo() {
            return "not a backend: loads OpenBLAS " + VERSION + " before ND4J's";
        }

        @Override
        public void logBackendInit() {
            throw notABackend();
        }

        private static UnsupportedOperationException notABackend() {
            return new UnsupportedOperationException("BundledOpenBlas.LoadHook is not an ND4J backend");
        }
    }
}
