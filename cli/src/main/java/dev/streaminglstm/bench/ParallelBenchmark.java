package dev.streaminglstm.bench;

import dev.streaminglstm.core.bench.KernelBenchmark;
import dev.streaminglstm.core.model.CellType;
import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import dev.streaminglstm.core.serve.ServableModel;
import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.job.config.JobConfig;
import dev.streaminglstm.job.merging.GlobalModel;
import dev.streaminglstm.job.merging.TrainedLoss;
import dev.streaminglstm.job.training.ParameterDelta;
import dev.streaminglstm.sandbox.EmbeddedStack;
import dev.streaminglstm.sandbox.corpus.Corpus;
import dev.streaminglstm.schema.ModelManifest;
import dev.streaminglstm.store.ModelStore;
import dev.streaminglstm.store.ModelStores;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.nd4j.linalg.api.buffer.DataType;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench parallel}: training at parallelism 1 against 2 on the same pre-loaded input: tokens trained per second,
 * and the held-out bits per token of the versions at equal tokens trained (what averaging replicas' deltas costs in
 * quality). Then the merger at scale, simulated here: the delta bytes per second one merger task takes at
 * parallelism 64 and hidden 1,024, against what one task absorbs on this machine, and what sharding or compressing
 * the deltas changes.
 */
@Command(name = "parallel", mixinStandardHelpOptions = true,
        description = "Training parallelism 1 against 2 on the same input: throughput ratio and held-out bpc at equal "
                + "tokens; then a simulation of the merger at parallelism 64 and hidden 1024. Prints tables, then "
                + "throughput_ratio=, bpc_p1=, bpc_p2= and merger_load= last.")
public final class ParallelBenchmark implements Callable<Integer> {

    @Option(names = "--streams", defaultValue = "64", description = "Concurrent streams (default ${DEFAULT-VALUE}).")
    int streams;

    @Option(names = "--tokens", defaultValue = "400000",
            description = "Tokens each run trains before its model is compared (default ${DEFAULT-VALUE}).")
    long tokens;

    @Option(names = "--warmup-s", defaultValue = "10",
            description = "Seconds after the first trained batch before the throughput is measured (default "
                    + "${DEFAULT-VALUE}).")
    int warmupSeconds;

    @Option(names = "--held-out-bytes", defaultValue = "20000",
            description = "Bytes of held-out text (the corpus's last documents, never replayed) the models are "
                    + "scored on (default ${DEFAULT-VALUE}).")
    int heldOutBytes;

    @Option(names = "--sim-parallelism", defaultValue = "64", description = "Simulated parallelism (default ${DEFAULT-VALUE}).")
    int simParallelism;

    @Option(names = "--sim-hidden", defaultValue = "1024", description = "Simulated hidden size (default ${DEFAULT-VALUE}).")
    int simHidden;

    @Option(names = "--keep", description = "Keep the run folder (log, stores, checkpoints).")
    boolean keep;

    @Mixin
    JobShape shape;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** One run: its steady throughput and the version it reached the token count with. */
    record Run(int parallelism, SteadyState steady, long version, long versionTokens, double heldOutBpc) {}

    @Override
    public Integer call() throws Exception {
        shape.checkpointIntervalMs = spec.commandLine().getParseResult().hasMatchedOption("--checkpoint-interval-ms")
                ? shape.checkpointIntervalMs : 5000;
        shape.check(spec);
        Bench.atLeast(spec, "--streams", streams, 1);
        Bench.atLeast(spec, "--tokens", tokens, 1);
        Bench.atLeast(spec, "--warmup-s", warmupSeconds, 0);
        Bench.atLeast(spec, "--held-out-bytes", heldOutBytes, 2);
        Bench.atLeast(spec, "--sim-parallelism", simParallelism, 1);
        Bench.atLeast(spec, "--sim-hidden", simHidden, 1);
        PrintWriter out = spec.commandLine().getOut();
        out.println("bench parallel: " + streams + " streams, " + tokens + " tokens per run, " + shape.describe());
        int[] heldOut = heldOut(heldOutBytes);
        List<Run> runs = new ArrayList<>();
        try (BenchRun run = BenchRun.open("parallel", keep)) {
            for (int p : new int[] {1, 2}) {
                runs.add(train(run, p, heldOut));
            }
            Table table = new Table("parallelism", "tokens/s", "version", "its tokens", "held-out bpc");
            for (Run r : runs) {
                table.row(r.parallelism(), Table.count(r.steady().tokensTrained()), r.version(),
                        Table.count(r.versionTokens()), String.format("%.4f", r.heldOutBpc()));
            }
            table.print(out);
            if (keep) {
                out.println("run folder kept: " + run.dir());
            }
        }
        Optional<Run> unmeasured = runs.stream()
                .filter(r -> r.steady().doneBeforeSpan() || r.steady().tokensTrained() == 0).findFirst();
        unmeasured.ifPresent(r -> spec.commandLine().getErr().printf("bench parallel: parallelism %d trained its %d "
                + "tokens before its %d s warm-up ended, so it has no steady rate; give more --tokens or a shorter "
                + "--warmup-s%n", r.parallelism(), tokens, warmupSeconds));
        double ratio = unmeasured.isPresent() ? Double.NaN
                : runs.get(1).steady().tokensTrained() / runs.get(0).steady().tokensTrained();
        out.printf("parallelism 2 / 1: %.2fx the tokens per second; held-out bpc %+.4f at about equal tokens "
                + "(on %d held-out bytes)%n", ratio, runs.get(1).heldOutBpc() - runs.get(0).heldOutBpc(), heldOutBytes);
        double load = MergerSimulation.run(out, simParallelism, simHidden, shape);
        out.printf("throughput_ratio=%.3f bpc_p1=%.4f bpc_p2=%.4f merger_load=%.4f%n", ratio, runs.get(0).heldOutBpc(),
                runs.get(1).heldOutBpc(), load);
        return unmeasured.isPresent() ? 1 : 0;
    }

    private Run train(BenchRun run, int parallelism, int[] heldOut) throws Exception {
        try (EmbeddedStack stack = run.stack("parallelism-" + parallelism)) {
            List<String> flags = new ArrayList<>(shape.jobFlags());
            flags.add("--parallelism=" + parallelism);
            flags.add("--keep-versions=1000");
            JobConfig config = stack.jobConfig(flags);
            stack.createTopics(config, Map.of());
            long records = BenchRun.preload(stack, config, streams, shape.chunkBytes, (long) (tokens * 1.2)
                    + 4L * streams * (shape.window + 1));
            EmbeddedStack.RunningJob job = stack.startJob(config, shape.options("bench parallel " + parallelism));
            try {
                SteadyState steady = SteadyState.measure(job, Duration.ofSeconds(warmupSeconds), Duration.ofDays(1), records,
                        () -> InJvmMetrics.counter("train", "tokensTrained") >= tokens);
                ModelStore store = ModelStores.open(config.store().uri());
                ModelManifest reached = null;
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (reached == null && System.nanoTime() < deadline) {
                    reached = store.listVersions().stream().filter(m -> m.getTokensTrained() >= tokens).findFirst()
                            .orElse(null);
                    SteadyState.sleepWhileRunning(job, 200);
                }
                if (reached == null) {
                    throw new IllegalStateException("no version with " + tokens + " tokens trained was published");
                }
                ServableModel model = ServableModel.decode(reached.getVersion(),
                        store.readVersion(reached.getVersion()).parameters(), config.model().kernel());
                return new Run(parallelism, steady, reached.getVersion(), reached.getTokensTrained(),
                        model.bitsPerToken(heldOut, shape.window, null));
            } finally {
                EmbeddedStack.cancel(job);
            }
        }
    }

    /** The corpus's last documents, about {@code bytes} of them, as tokens with a start marker per document. */
    private static int[] heldOut(int bytes) {
        List<String> documents = Corpus.europarl().documents().toList();
        List<Integer> tokens = new ArrayList<>();
        for (int d = documents.size() - 1; d >= 0 && tokens.size() < bytes; d--) {
            tokens.add(ByteVocabulary.START);
            for (byte b : documents.get(d).getBytes(StandardCharsets.UTF_8)) {
                tokens.add(b & 0xFF);
            }
        }
        return tokens.stream().limit(bytes).mapToInt(Integer::intValue).toArray();
    }

    /**
     * The single merger at scale, on paper with figures measured here: how many delta bytes per second reach it at
     * the simulated parallelism and hidden size, and how many it absorbs (Flink's serializer of the delta, then the
     * averaging into the global model), as is, sharded by parameter block, and with compressed deltas.
     */
    static final class MergerSimulation {
        private MergerSimulation() {}

        /** Prints the simulation; returns the single merger's load (needed / absorbed, above 1: saturated). */
        static double run(PrintWriter out, int parallelism, int hidden, JobShape shape) throws Exception {
            ModelConfig model = new ModelConfig(ByteVocabulary.SIZE, shape.embed, hidden, 1, CellType.LSTM, 0);
            long parameters = ParameterSet.zeros(model, DataType.FLOAT).size();
            KernelBenchmark.Result kernel = KernelBenchmark.run(new KernelBenchmark.Settings(shape.batch, shape.window,
                    shape.embed, hidden, ByteVocabulary.SIZE, 1, 20_000, 2, 1));
            int publishEvery = shape.config().training().publishEveryWindows();
            // 0 (the default): one delta per subtask before each checkpoint barrier
            double perSubtask = publishEvery > 0 ? kernel.tokensPerSecond() / ((double) publishEvery * shape.window)
                    : 1000.0 / shape.checkpointIntervalMs;
            double deltasPerSecond = parallelism * perSubtask;
            double deltaBytes = 4.0 * parameters;
            double absorbSeconds = secondsPerDelta(model, parameters);
            double absorbed = 1 / absorbSeconds;
            double load = deltasPerSecond / absorbed;
            out.printf("merger simulation: parallelism %d, LSTM H=%d E=%d V=%d: %,d parameters, a delta is %.1f MB"
                            + " (float32)%n", parallelism, hidden, shape.embed, ByteVocabulary.SIZE, parameters,
                    deltaBytes / 1e6);
            out.printf("  one subtask trains %s tokens/s here (kernel, B=%d T=%d, 1 thread) and sends a delta %s:"
                    + " %.2f deltas/s; %d subtasks: %.1f deltas/s = %.0f MB/s into the merger%n",
                    Table.count(kernel.tokensPerSecond()), shape.batch, shape.window, publishEvery > 0
                            ? "every " + publishEvery + " windows"
                            : "before each checkpoint barrier (every " + shape.checkpointIntervalMs + " ms)",
                    perSubtask, parallelism, deltasPerSecond, deltasPerSecond * deltaBytes / 1e6);
            out.printf("  one merger task absorbs a delta in %.1f ms here (Flink's serializer both ways, then the"
                    + " average into the model): %.1f deltas/s%n", absorbSeconds * 1e3, absorbed);
            Table t = new Table("merger", "bytes per delta per task", "MB/s per task", "load per task");
            t.row("one task, float32 deltas (today)", Table.count(deltaBytes),
                    String.format("%.0f", deltasPerSecond * deltaBytes / 1e6), String.format("%.2f", load));
            for (int shards : new int[] {4, 16}) {
                t.row(shards + " tasks, sharded by parameter block", Table.count(deltaBytes / shards),
                        String.format("%.0f", deltasPerSecond * deltaBytes / shards / 1e6),
                        String.format("%.2f", load / shards));
            }
            t.row("one task, float16 deltas", Table.count(deltaBytes / 2),
                    String.format("%.0f", deltasPerSecond * deltaBytes / 2 / 1e6), "~" + String.format("%.2f", load / 2));
            t.row("one task, int8 deltas, a scale per row", Table.count(deltaBytes / 4),
                    String.format("%.0f", deltasPerSecond * deltaBytes / 4 / 1e6), "~" + String.format("%.2f", load / 4));
            t.row("16 tasks sharded, int8 deltas", Table.count(deltaBytes / 64),
                    String.format("%.0f", deltasPerSecond * deltaBytes / 64 / 1e6),
                    "~" + String.format("%.2f", load / 64));
            t.print(out);
            out.println("  load = deltas/s arriving / deltas/s one task absorbs (CPU only; a 10 Gbit/s link carries"
                    + " 1,250 MB/s); compressed rows scale the measured cost by the bytes (~)");
            return load;
        }

        /** Seconds one merger task spends per delta: Flink's serializer out and in, then the average. */
        private static double secondsPerDelta(ModelConfig model, long parameters) throws Exception {
            TypeSerializer<ParameterDelta> serializer = TypeInformation.of(ParameterDelta.class)
                    .createSerializer(new SerializerConfigImpl());
            ParameterDelta delta = new ParameterDelta();
            delta.delta = new float[(int) parameters];
            SplittableRandom random = new SplittableRandom(1);
            for (int i = 0; i < delta.delta.length; i++) {
                delta.delta[i] = (float) (random.nextGaussian() * 1e-4);
            }
            delta.windows = 64;
            delta.tokens = 64 * 64;
            GlobalModel global = new GlobalModel(model, ParameterSet.zeros(model, DataType.FLOAT), 0, 0, 0,
                    Double.NaN, TrainedLoss.NONE, false);
            DataOutputSerializer out = new DataOutputSerializer((int) (4 * parameters + 1024));
            int rounds = 0;
            long started = System.nanoTime();
            long elapsed;
            do {
                out.clear();
                serializer.serialize(delta, out);
                ParameterDelta received = serializer.deserialize(new DataInputDeserializer(out.getSharedBuffer(), 0,
                        out.length()));
                global.add(received, 64);
                rounds++;
                elapsed = System.nanoTime() - started;
            } while (elapsed < TimeUnit.SECONDS.toNanos(3) || rounds < 3);
            return elapsed / 1e9 / rounds;
        }
    }
}
