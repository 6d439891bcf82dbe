package dev.streaminglstm.job.merging;

import dev.streaminglstm.job.state.FloatArrays;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The merger's operator state: the global model, what was trained into it, and the version numbering.
 *
 * @param version the version the global model is (as last written or continued from)
 * @param parentOfVersion the version {@code version} was continued from, 0 for none
 * @param changed whether the model moved since {@code version} was written
 * @param trainedLoss the training loss of the tokens trained in (none in the layouts before it)
 * @param awaitingCommit versions written at checkpoints not known to have completed, by checkpoint id
 * @param parameters the global model, flat in canonical order
 */
record MergerSnapshot(long version, long parentOfVersion, boolean changed, long tokens, long windows,
        long skippedSteps, double recentLossBpc, TrainedLoss trainedLoss, NavigableMap<Long, Long> awaitingCommit,
        float[] parameters) {

    /** Marks the layout that records the parent version; the first layout began with the version. */
    private static final long WITH_PARENT = -2;
    /** Marks the layout that also records the trained loss after the recent one. */
    private static final long WITH_TRAINED_LOSS = -3;

    byte[] toBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(WITH_TRAINED_LOSS);
            out.writeLong(version);
            out.writeLong(parentOfVersion);
            out.writeBoolean(changed);
            out.writeLong(tokens);
            out.writeLong(windows);
            out.writeLong(skippedSteps);
            out.writeDouble(recentLossBpc);
            out.writeDouble(trainedLoss.nats());
            out.writeLong(trainedLoss.tokens());
            out.writeInt(awaitingCommit.size());
            for (Map.Entry<Long, Long> e : awaitingCommit.entrySet()) {
                out.writeLong(e.getKey());
                out.writeLong(e.getValue());
            }
            FloatArrays.write(out, parameters);
        }
        return bytes.toByteArray();
    }

    static MergerSnapshot fromBytes(byte[] entry) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
            long first = in.readLong();
            long version;
            long parent;
            if (first == WITH_PARENT || first == WITH_TRAINED_LOSS) {
                version = in.readLong();
                parent = in.readLong();
            } else if (first >= 0) { // the first layout: the parent was taken to be the version before
                version = first;
                parent = version > 1 ? version - 1 : 0;
            } else {
                throw new IOException("the merger's state begins with " + first + ", which no state layout does");
            }
            boolean changed = in.readBoolean();
            long tokens = in.readLong();
            long windows = in.readLong();
            long skipped = in.readLong();
            double loss = in.readDouble();
            TrainedLoss trained = first == WITH_TRAINED_LOSS
                    ? new TrainedLoss(in.readDouble(), in.readLong()) : TrainedLoss.NONE;
            int n = in.readInt();
            if (n < 0 || 16L * n > in.available()) {
                throw new IOException("the merger's state lists " + n + " versions awaiting their checkpoint");
            }
            NavigableMap<Long, Long> awaiting = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                awaiting.put(in.readLong(), in.readLong());
            }
            return new MergerSnapshot(version, parent, changed, tokens, windows, skipped, loss, trained, awaiting,
                    FloatArrays.read(in, in.available()));
        }
    }
}
