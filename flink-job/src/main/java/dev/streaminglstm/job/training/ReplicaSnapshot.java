package dev.streaminglstm.job.training;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One training subtask's replica as it stands in the operator's union list state: the replica, the
 * base it last sent a delta from (or rebased on), its optimiser state, and what it trained since
 * its last delta (its unsent progress).
 *
 * @param subtask the subtask that wrote it
 * @param baseVersion the global version the replica was last rebased on (or started from)
 * @param replica the replica's parameters, flat in canonical order
 * @param base the parameters the next delta is taken against
 * @param optimizer the optimiser state ({@code OptimizerStateCodec} bytes)
 * @param windows windows trained since the last delta
 * @param tokens tokens trained since the last delta
 * @param lossNats sum over those windows of mean loss times tokens, in nats
 * @param skippedSteps non-finite steps skipped since the last delta
 */
record ReplicaSnapshot(int subtask, long baseVersion, float[] replica, float[] base, byte[] optimizer,
        long windows, long tokens, double lossNats, long skippedSteps) {

    byte[] toBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(subtask);
            out.writeLong(baseVersion);
            writeFloats(out, replica);
            writeFloats(out, base);
            out.writeInt(optimizer.length);
            out.write(optimizer);
            out.writeLong(windows);
            out.writeLong(tokens);
            out.writeDouble(lossNats);
            out.writeLong(skippedSteps);
        }
        return bytes.toByteArray();
    }

    static ReplicaSnapshot fromBytes(byte[] entry) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
            int subtask = in.readInt();
            long baseVersion = in.readLong();
            float[] replica = readFloats(in);
            float[] base = readFloats(in);
            byte[] optimizer = new byte[in.readInt()];
            in.readFully(optimizer);
            return new ReplicaSnapshot(subtask, baseVersion, replica, base, optimizer,
                    in.readLong(), in.readLong(), in.readDouble(), in.readLong());
        }
    }

    /** The subtask that wrote an entry, read without decoding the rest. */
    static int subtaskOf(byte[] entry) {
        return ((entry[0] & 0xff) << 24) | ((entry[1] & 0xff) << 16) | ((entry[2] & 0xff) << 8) | (entry[3] & 0xff);
    }

    /** Whether the subtask trained anything it has not sent yet. */
    boolean hasUnsentProgress() {
        return windows > 0;
    }

    private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
        out.writeInt(values.length);
        for (float v : values) {
            out.writeFloat(v);
        }
    }

    private static float[] readFloats(DataInputStream in) throws IOException {
        float[] values = new float[in.readInt()];
        for (int i = 0; i < values.length; i++) {
            values[i] = in.readFloat();
        }
        return values;
    }
}
