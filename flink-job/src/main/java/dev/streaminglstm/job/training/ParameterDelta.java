package dev.streaminglstm.job.training;

/**
 * What a training subtask sends the merger: how far its replica moved since its last delta, and what it trained
 * to get there (a Flink POJO).
 */
public class ParameterDelta {
    /** Index of the training subtask that sent it. */
    public int subtask;
    /** The global model version the replica was last rebased on (0: the initial parameters). */
    public long baseVersion;
    /** {@code replica - base}, flat in canonical parameter order. */
    public float[] delta;
    public long windows;
    public long tokens;
    /** Sum over trained windows of mean loss times tokens, in nats. */
    public double lossNats;
    public long skippedSteps;

    public ParameterDelta() {}

    static ParameterDelta of(int subtask, long baseVersion, float[] delta, Progress progress) {
        ParameterDelta d = new ParameterDelta();
        d.subtask = subtask;
        d.baseVersion = baseVersion;
        d.delta = delta;
        d.windows = progress.windows();
        d.tokens = progress.tokens();
        d.lossNats = progress.lossNats();
        d.skippedSteps = progress.skippedSteps();
        return d;
    }
}
