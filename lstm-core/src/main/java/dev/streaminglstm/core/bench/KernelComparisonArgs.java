package dev.streaminglstm.core.bench;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The command line of {@link KernelComparison}: {@code --flag value} pairs, each checked with a one-line message. */
final class KernelComparisonArgs {
    private static final String USAGE = String.join("\n",
            "Usage: KernelComparison [--batch 1,32,128] [--seq 64] [--embed 64] [--hidden 256] [--vocab 256]",
            "       [--layers 1] [--tokens N] [--warmup 5] [--seed 1] [--rounds 3] [--ours 1x1,2x1,1x2]",
            "       [--peer auto|torch|none] [--python /usr/bin/python3] [--peer-script PATH] [--streams 1024]",
            "Times training steps of the fast kernel and of the PyTorch peer at each batch size, interleaved",
            "round by round, and the 2-thread 1024^3 sgemm ceiling; --ours lists our settings as",
            "KERNEL_THREADSxBLAS_THREADS; --tokens 0 (default) times max(8192, min(60000, 2048 B)) tokens;",
            "--streams S also times stepping S streams' 64-token chunks for inference (0: skip).",
            "Prints a table and key=value figures on the last line.");

    private KernelComparisonArgs() {}

    /**
     * The options, or empty after printing the usage for {@code --help}.
     *
     * @throws IllegalArgumentException naming a bad flag or value
     */
    static Optional<KernelComparison.Options> parse(String[] args, PrintStream out) {
        Map<String, String> values = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--help") || args[i].equals("-h")) {
                out.println(USAGE);
                return Optional.empty();
            }
            if (!args[i].startsWith("--") || i + 1 == args.length) {
                throw new IllegalArgumentException("expected --flag value, got '" + args[i] + "' (see --help)");
            }
            values.put(args[i], args[++i]);
        }
        Map<String, String> v = new HashMap<>(values);
        List<Integer> batches = new ArrayList<>();
        for (String b : take(v, "--batch", "1,32,128").split(",")) {
            batches.add(atLeast("--batch", b.strip(), 1));
        }
        KernelBenchmark.Settings base = new KernelBenchmark.Settings(batches.get(0),
                atLeast("--seq", take(v, "--seq", "64"), 1), atLeast("--embed", take(v, "--embed", "64"), 1),
                atLeast("--hidden", take(v, "--hidden", "256"), 1), atLeast("--vocab", take(v, "--vocab", "256"), 2),
                atLeast("--layers", take(v, "--layers", "1"), 1), 1, atLeast("--warmup", take(v, "--warmup", "5"), 0),
                wholeNumber("--seed", take(v, "--seed", "1")), 1);
        long tokens = atLeast("--tokens", take(v, "--tokens", "0"), 0);
        int rounds = atLeast("--rounds", take(v, "--rounds", "3"), 1);
        List<KernelComparison.Ours> ours = new ArrayList<>();
        for (String o : take(v, "--ours", "1x1,2x1,1x2").split(",")) {
            String[] kb = o.strip().split("x");
            if (kb.length != 2) {
                throw new IllegalArgumentException("--ours takes KERNELxBLAS thread pairs such as 2x1, got '" + o + "'");
            }
            ours.add(new KernelComparison.Ours(atLeast("--ours", kb[0], 1), atLeast("--ours", kb[1], 1)));
        }
        String peerMode = take(v, "--peer", "auto");
        String python = take(v, "--python", "/usr/bin/python3");
        Path script = Path.of(take(v, "--peer-script", defaultScript()));
        int streams = atLeast("--streams", take(v, "--streams", "1024"), 0);
        if (!v.isEmpty()) {
            throw new IllegalArgumentException("unknown flag " + v.keySet().iterator().next() + " (see --help)");
        }
        PythonPeer peer = switch (peerMode) {
            case "none" -> null;
            case "auto", "torch" -> {
                PythonPeer p = new PythonPeer(python);
                Optional<String> why = p.unavailableReason();
                if (why.isPresent() && peerMode.equals("torch")) {
                    throw new IllegalArgumentException(why.get());
                }
                why.ifPresent(w -> out.println("peer: skipped, " + w));
                yield why.isPresent() ? null : p;
            }
            default -> throw new IllegalArgumentException("--peer must be auto, torch or none, was '" + peerMode + "'");
        };
        if (peer != null && !Files.isRegularFile(script)) {
            if (peerMode.equals("torch")) {
                throw new IllegalArgumentException("--peer-script " + script + " not found");
            }
            out.println("peer: skipped, --peer-script " + script + " not found");
            peer = null;
        }
        return Optional.of(new KernelComparison.Options(base, batches, tokens, rounds, ours, peer, script, streams));
    }

    private static String take(Map<String, String> values, String flag, String fallback) {
        String v = values.remove(flag);
        return v == null ? fallback : v;
    }

    private static int atLeast(String flag, String value, int least) {
        long n = wholeNumber(flag, value);
        if (n != (int) n) {
            throw new IllegalArgumentException(flag + " must be a whole number, was '" + value + "'");
        }
        if (n < least) {
            throw new IllegalArgumentException(flag + " must be at least " + least + ", was " + n);
        }
        return (int) n;
    }

    private static long wholeNumber(String flag, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(flag + " must be a whole number, was '" + value + "'");
        }
    }

    /** shared/anchors/torch_lstm_bench.py beside the checkout ({@code -Dstreaminglstm.home}, else the working directory). */
    private static String defaultScript() {
        Path home = Path.of(System.getProperty("streaminglstm.home", ".")).toAbsolutePath().normalize();
        return home.resolveSibling("shared").resolve("anchors").resolve("torch_lstm_bench.py").toString();
    }
}
