package dev.streaminglstm.quality;

import dev.streaminglstm.core.bench.PythonPeer;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.optim.OptimizerConfig;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Learner (d): PyTorch's {@code nn.LSTM} of the same shape in the classic set-up, on the same bytes cut into the
 * same contiguous streams as learner (c) (the script {@code quality/torch_quality_peer.py} beside these classes),
 * run in its best thread setting on two cores: OpenBLAS at 2 threads, torch at 1 (shared/anchors/README.md).
 */
final class TorchPeer {
    private static final Pattern POINT = Pattern.compile("tokens=(\\d+) heldout_bpc=([0-9.]+)");
    private static final Pattern RATE = Pattern.compile("tokens_per_s=([0-9.]+)");

    private final String python;

    TorchPeer(String python) {
        this.python = python;
    }

    /** Why the peer cannot run here, if it cannot. */
    Optional<String> unavailableReason() {
        return new PythonPeer(python).unavailableReason();
    }

    /** Trains the peer and reads its curve; its files go to {@code dir}. */
    Curve run(ModelConfig model, OptimizerConfig optimizer, long seed, byte[] text, int streams, int window,
            int passes, long[] points, HeldOut heldOut, Path dir) throws IOException, InterruptedException {
        Path script = dir.resolve("torch_quality_peer.py");
        try (InputStream in = TorchPeer.class.getResourceAsStream("/quality/torch_quality_peer.py")) {
            if (in == null) {
                throw new IOException("quality/torch_quality_peer.py is not on the class path");
            }
            Files.copy(in, script);
        }
        Path train = write(dir.resolve("train.u16"), dev.streaminglstm.core.vocab.ByteVocabulary.fromBytes(text));
        Path held = write(dir.resolve("heldout.u16"), heldOut.tokens());
        List<String> command = List.of(python, script.toString(), train.toString(), held.toString(),
                Integer.toString(streams), Integer.toString(window), Integer.toString(model.embedSize()),
                Integer.toString(model.hiddenSize()), Integer.toString(model.layers()),
                Double.toString(optimizer.learningRate()), Double.toString(optimizer.clipNorm()),
                Integer.toString(passes),
                java.util.Arrays.stream(points).mapToObj(Long::toString).collect(Collectors.joining(",")), "1",
                Long.toString(seed), Double.toString(optimizer.beta1()), Double.toString(optimizer.beta2()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("OPENBLAS_NUM_THREADS", "2");
        pb.environment().put("OMP_NUM_THREADS", "2");
        Process p = pb.start();
        List<Curve.Point> curve = new ArrayList<>();
        double rate = Double.NaN;
        StringBuilder out = new StringBuilder();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                out.append(line).append('\n');
                Matcher point = POINT.matcher(line);
                Matcher tokensPerSecond = RATE.matcher(line);
                if (point.find()) {
                    curve.add(new Curve.Point(Long.parseLong(point.group(1)), Double.parseDouble(point.group(2))));
                } else if (tokensPerSecond.find()) {
                    rate = Double.parseDouble(tokensPerSecond.group(1));
                }
            }
        }
        if (!p.waitFor(2, TimeUnit.HOURS) || p.exitValue() != 0 || curve.isEmpty()) {
            throw new IOException("the PyTorch peer failed: " + String.join(" ", command) + "\n" + out);
        }
        return new Curve("pytorch", curve, rate, OptionalDouble.empty());
    }

    /** Token ids as little-endian uint16. */
    private static Path write(Path file, int[] tokens) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(tokens.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int t : tokens) {
            buffer.putShort((short) t);
        }
        try (OutputStream o = Files.newOutputStream(file)) {
            o.write(buffer.array());
        }
        return file;
    }
}
