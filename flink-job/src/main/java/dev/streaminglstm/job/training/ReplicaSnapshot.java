package dev.streaminglstm.job.training;

import dev.streaminglstm.job.state.FloatArrays;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * One training subtask's replica as it stands in the operator's union list state: the replica, the base it last
 * sent a delta from (or rebased on), its optimiser state, and what it trained since its last delta (its unsent
 * progress).
 *
 * @param subtask the subtask that wrote it
 * @param baseVersion the global version the replica was last rebased on (or started from)
 * @param replica the replica's parameters, flat in canonical order
 * @param base the parameters the next delta is taken against
 * @param optimizer the optimiser state ({@code OptimizerStateCodec} bytes)
 * @param unsent what was trained since the last delta
 */
record ReplicaSnapshot(int subtask, long baseVersion, float[] replica, float[] base, byte[] optimizer,
        Progress unsent) {

    byte[] toBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(subtask);
            out.writeLong(baseVersion);
            FloatArrays.write(out, replica);
            FloatArrays.write(out, base);
            out.writeInt(optimizer.length);
            out.write(optimizer);
            out.writeLong(unsent.windows());
            out.writeLong(unsent.tokens());
            out.writeDouble(unsent.lossNats());
            out.writeLong(unsent.skippedSteps());
        }
        return bytes.toByteArray();
    }

    static ReplicaSnapshot fromBytes(byte[] entry) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(entry))) {
            int subtask = in.readInt();
            long baseVersion = in.readLong();
            float[] replica = FloatArrays.read(in, in.available());
            float[] base = FloatArrays.read(in, in.available());
            int n = in.readInt();
            if (n < 0 || n > in.available()) {
                throw new IOException("a replica's optimiser state of " + n + " bytes where " + in.available()
                        + " are left");
            }
            byte[] optimizer = new byte[n];
            in.readFully(optimizer);
            return new ReplicaSnapshot(subtask, baseVersion, replica, base, optimizer,
                    new Progress(in.readLong(), in.readLong(), in.readDouble(), in.readLong()));
        }
    }

    /** The subtask that wrote an entry, read without decoding the rest. */
    static int subtaskOf(byte[] entry) {
        return ((entry[0] & 0xff) << 24) | ((entry[1] & 0xff) << 16) | ((entry[2] & 0xff) << 8) | (entry[3] & 0xff);
    }
}
