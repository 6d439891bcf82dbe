package dev.streaminglstm.job.config;

import dev.streaminglstm.job.config.KafkaSettings.PredictionGuarantee;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine;

/**
 * Every setting of the streaming-lstm job, in groups: each operator is handed only the groups it needs. Built from
 * command-line flags by {@link #parse} (the only way to make one, so no instance holds a value out of range), turned
 * back into flags by {@link #toArgs}; {@link Serializable}, as operators carry their groups to the task managers.
 * Each flag is declared once, as a field of its group with its check beside it.
 */
@Command(name = "streaming-lstm job", sortOptions = false, usageHelpWidth = 110,
        description = "Trains a byte-level recurrent language model on text streams from Kafka "
                + "and writes next-token predictions back to Kafka.")
public final class JobConfig implements Serializable, Flags.Group {
    private static final long serialVersionUID = 2L;

    @Mixin
    private KafkaSettings kafka = new KafkaSettings();

    @Mixin
    private StoreSettings store = new StoreSettings();

    @Mixin
    private ModelSettings model = new ModelSettings();

    @Mixin
    private OptimizerSettings optimizer = new OptimizerSettings();

    @Mixin
    private TrainingSettings training = new TrainingSettings();

    @Mixin
    private InferenceSettings inference = new InferenceSettings();

    @Mixin
    private StateSettings state = new StateSettings();

    @Option(names = "--seed", paramLabel = "N", description = "Seed of every random choice of the job. Default: ${DEFAULT-VALUE}.")
    private long seed = 42;

    private JobConfig() {}

    /**
     * Reads the job's flags. Each flag is {@code --name value} or {@code --name=value}; only
     * {@code --kafka-property} may repeat.
     *
     * @throws ConfigException with one line naming the flag and what is wrong with it
     */
    public static JobConfig parse(String... args) {
        return Flags.group(new JobConfig(), args);
    }

    @Override
    public void check() {
        kafka.check();
        store.check();
        model.check();
        optimizer.check();
        training.check();
        inference.check();
        state.check();
        int parallelism = Math.max(training.parallelism(), inference.parallelism());
        if (state.maxParallelism() < parallelism) {
            throw new ConfigException("--max-parallelism: must be at least --parallelism and --inference-parallelism ("
                    + parallelism + "), was " + state.maxParallelism());
        }
        long timeout = kafka.transactionTimeoutMs();
        if (kafka.predictionGuarantee() == PredictionGuarantee.EXACTLY_ONCE && state.checkpointIntervalMs() >= timeout) {
            throw new ConfigException("--checkpoint-interval-ms: must be below the Kafka transaction timeout of "
                    + timeout + " ms with --prediction-guarantee EXACTLY_ONCE, was " + state.checkpointIntervalMs()
                    + " (raise it with --kafka-property " + KafkaSettings.TRANSACTION_TIMEOUT + "=MS)");
        }
    }

    public KafkaSettings kafka() {
        return kafka;
    }

    public StoreSettings store() {
        return store;
    }

    public ModelSettings model() {
        return model;
    }

    public OptimizerSettings optimizer() {
        return optimizer;
    }

    public TrainingSettings training() {
        return training;
    }

    public InferenceSettings inference() {
        return inference;
    }

    public StateSettings state() {
        return state;
    }

    /** Seed of every random choice of the job: initial parameters, sampling. */
    public long seed() {
        return seed;
    }

    /** The flags that {@link #parse} turns back into an equal configuration; every flag is written out. */
    public List<String> toArgs() {
        return args(false);
    }

    /** The help text: every flag, what it sets and its default. */
    public static String usage() {
        return Flags.commandLine(new JobConfig()).getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** The configuration as flags, with the values of secret-looking Kafka properties masked. */
    @Override
    public String toString() {
        return "JobConfig[" + String.join(" ", args(true)) + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof JobConfig other && toArgs().equals(other.toArgs());
    }

    @Override
    public int hashCode() {
        return toArgs().hashCode();
    }

    private List<String> args(boolean masked) {
        List<String> args = new ArrayList<>(masked ? kafka.maskedArgs() : Flags.toArgs(kafka));
        for (Object group : List.of(store, model, optimizer, training, inference, state, this)) {
            args.addAll(Flags.toArgs(group));
        }
        return List.copyOf(args);
    }
}
