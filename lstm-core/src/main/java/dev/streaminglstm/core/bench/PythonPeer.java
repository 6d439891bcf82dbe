package dev.streaminglstm.core.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The PyTorch peer, measured in the same run on the same machine: the shared anchor script for
 * the LSTM step, and a 1024^3 float matrix product for the BLAS ceiling. Needs
 * {@code /usr/bin/python3} with Debian's {@code python3-torch} and {@code libopenblas0-pthread}.
 */
public final class PythonPeer {
    private static final Pattern TOKENS = Pattern.compile("tokens/s=([0-9.]+)");
    private static final Pattern GFLOPS = Pattern.compile("GFLOP/s=([0-9.]+)");
    private static final String MATMUL = String.join("\n",
            "import sys, time, torch",
            "torch.set_num_threads(int(sys.argv[1])); n = 1024",
            "a = torch.rand(n, n); b = torch.rand(n, n); best = 1e9",
            "for _ in range(10):",
            "    t = time.perf_counter(); torch.mm(a, b); best = min(best, time.perf_counter() - t)",
            "print(f'torch {torch.__version__} GFLOP/s={2 * n ** 3 / best / 1e9:.1f}')");

    private final String python;

    public PythonPeer(String python) {
        this.python = python;
    }

    /** What the peer printed, and the figure read from it. */
    public record Measurement(double value, String line) {}

    /** Whether the interpreter exists and imports torch. */
    public Optional<String> unavailableReason() {
        try {
            Process p = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return Optional.of(python + " cannot import torch (apt-get install python3-torch libopenblas0-pthread): "
                        + out.strip().lines().reduce((a, b) -> b).orElse(""));
            }
            return Optional.empty();
        } catch (IOException e) {
            return Optional.of("cannot run " + python + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    /** Runs the anchor script for the benchmark's exact shape. */
    public Measurement lstm(Path script, KernelBenchmark.Settings s, int threads) throws IOException {
        if (!Files.isRegularFile(script)) {
            throw new IOException("peer script not found: " + script);
        }
        List<String> command = new ArrayList<>(List.of(python, script.toString(),
                Integer.toString(s.batch()), Integer.toString(s.seq()), Integer.toString(s.hidden()),
                Integer.toString(s.embed()), Integer.toString(s.vocab()), "cpu", Integer.toString(threads)));
        return read(command, TOKENS, Long.toString(s.tokens()));
    }

    /** GFLOP/s of a 1024^3 float product through PyTorch's BLAS. */
    public Measurement matmul(int threads) throws IOException {
        return read(List.of(python, "-c", MATMUL, Integer.toString(threads)), GFLOPS, null);
    }

    private Measurement read(List<String> command, Pattern figure, String tokens) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (tokens != null) {
            pb.environment().put("TOKENS", tokens);
        }
        Process p = pb.start();
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
            }
        }
        try {
            if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new IOException("peer failed: " + String.join(" ", command) + "\n" + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        String last = out.toString().strip().lines().reduce((a, b) -> b).orElse("");
        Matcher m = figure.matcher(last);
        if (!m.find()) {
            throw new IOException("peer printed no figure: " + last);
        }
        return new Measurement(Double.parseDouble(m.group(1)), last);
    }
}
