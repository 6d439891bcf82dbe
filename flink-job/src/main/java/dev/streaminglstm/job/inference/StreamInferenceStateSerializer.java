package dev.streaminglstm.job.inference;

import dev.streaminglstm.job.state.FloatArrays;
import dev.streaminglstm.job.state.HalfFloats;
import java.io.IOException;
import java.util.Arrays;
import org.apache.flink.api.common.typeutils.SimpleTypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.TypeSerializerSingleton;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

/**
 * How a {@link StreamInferenceState} is stored in keyed state: about 1.3 kB per stream at H 256 and 256 context bytes
 * with a float16 state (2.3 kB with a float32 one), instead of about 4.4 kB as a Flink POJO; a head correction
 * ({@code --adapt-head-rate}) adds 264 kB at H 256. Layout (version 3):
 *
 * <pre>
 *   byte   presence: 1 = state, 2 = features, 4 = the state is stored as float16, 8 = a head correction
 *   long   modelVersion, lastSequence, bytePosition
 *   double scoredBits, then long scoredTokens (the stream's prequential code length so far)
 *   [state]     with 4: int length, then a big-endian float16 per value (FloatArrays.writeHalves); else a float array
 *               (FloatArrays: length, then big-endian floats). Exact either way: 4 is set only when every value is a
 *               float16 value, as {@code --inference-state-precision FLOAT16} rounds them
 *   int    bytes of context, then the context: token ids below 255 as one byte, 255 + (id - 255) above
 *   [features]  float array
 *   [head correction]  int rows, then each row as a float array
 * </pre>
 *
 * Version 2 was the same without presence bit 8, version 1 without bit 4 either. Each record says by that bit how its state is stored, so records of
 * version 1 are read as they are: the serializer and its snapshot stay compatible with state written before, and a
 * job may switch precision across a restore. {@code next} is not stored: {@link StreamPredictor} computes it again
 * from the state with the head. Savepoints of the POJO layout (before this serializer) are migrated on restore: Flink
 * reads them with the POJO serializer they were written with and writes them again with this one.
 */
public final class StreamInferenceStateSerializer extends TypeSerializerSingleton<StreamInferenceState> {
    private static final long serialVersionUID = 1L;

    /** Arrays larger than this are not a stream's state: the input is corrupt. */
    private static final long MAX_ARRAY_BYTES = 64L << 20;
    /** More rows than this are not a head correction (hidden + 1 of them): the input is corrupt. */
    private static final int MAX_CORRECTION_ROWS = 1 << 16;
    private static final int ESCAPE = 255;
    private static final int HAS_STATE = 1;
    private static final int HAS_FEATURES = 2;
    private static final int HALF_STATE = 4;
    private static final int HAS_HEAD_CORRECTION = 8;

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public StreamInferenceState createInstance() {
        return new StreamInferenceState();
    }

    @Override
    public StreamInferenceState copy(StreamInferenceState from) {
        StreamInferenceState to = new StreamInferenceState();
        to.state = from.state == null ? null : from.state.clone();
        to.modelVersion = from.modelVersion;
        to.context = from.context.clone();
        to.next = from.next == null ? null : from.next.clone();
        to.lastSequence = from.lastSequence;
        to.bytePosition = from.bytePosition;
        to.scoredBits = from.scoredBits;
        to.scoredTokens = from.scoredTokens;
        to.features = from.features == null ? null : from.features.clone();
        to.headCorrection = from.headCorrection == null ? null
                : Arrays.stream(from.headCorrection).map(float[]::clone).toArray(float[][]::new);
        return to;
    }

    @Override
    public StreamInferenceState copy(StreamInferenceState from, StreamInferenceState reuse) {
        return copy(from);
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public void serialize(StreamInferenceState s, DataOutputView out) throws IOException {
        boolean halfState = s.state != null && HalfFloats.allHalf(s.state);
        out.writeByte((s.state != null ? HAS_STATE : 0) | (s.features != null ? HAS_FEATURES : 0)
                | (halfState ? HALF_STATE : 0) | (s.headCorrection != null ? HAS_HEAD_CORRECTION : 0));
        out.writeLong(s.modelVersion);
        out.writeLong(s.lastSequence);
        out.writeLong(s.bytePosition);
        out.writeDouble(s.scoredBits);
        out.writeLong(s.scoredTokens);
        if (halfState) {
            FloatArrays.writeHalves(out, s.state);
        } else if (s.state != null) {
            FloatArrays.write(out, s.state);
        }
        byte[] context = encodeContext(s.context);
        out.writeInt(context.length);
        out.write(context);
        if (s.features != null) {
            FloatArrays.write(out, s.features);
        }
        if (s.headCorrection != null) {
            out.writeInt(s.headCorrection.length);
            for (float[] row : s.headCorrection) {
                FloatArrays.write(out, row);
            }
        }
    }

    @Override
    public StreamInferenceState deserialize(DataInputView in) throws IOException {
        StreamInferenceState s = new StreamInferenceState();
        int presence = in.readUnsignedByte();
        boolean knownBits = (presence & ~(HAS_STATE | HAS_FEATURES | HALF_STATE | HAS_HEAD_CORRECTION)) == 0;
        boolean halfOnlyWithState = (presence & HALF_STATE) == 0 || (presence & HAS_STATE) != 0;
        if (!knownBits || !halfOnlyWithState) {
            throw new IOException("not a stored stream inference state: presence byte " + presence);
        }
        s.modelVersion = in.readLong();
        s.lastSequence = in.readLong();
        s.bytePosition = in.readLong();
        s.scoredBits = in.readDouble();
        s.scoredTokens = in.readLong();
        if ((presence & HALF_STATE) != 0) {
            s.state = FloatArrays.readHalves(in, MAX_ARRAY_BYTES);
        } else if ((presence & HAS_STATE) != 0) {
            s.state = FloatArrays.read(in, MAX_ARRAY_BYTES);
        }
        int contextBytes = in.readInt();
        if (contextBytes < 0 || contextBytes > MAX_ARRAY_BYTES) {
            throw new IOException("a stored context of " + contextBytes + " bytes");
        }
        byte[] context = new byte[contextBytes];
        in.readFully(context);
        s.context = decodeContext(context);
        if ((presence & HAS_FEATURES) != 0) {
            s.features = FloatArrays.read(in, MAX_ARRAY_BYTES);
        }
        if ((presence & HAS_HEAD_CORRECTION) != 0) {
            int rows = in.readInt();
            if (rows < 0 || rows > MAX_CORRECTION_ROWS) {
                throw new IOException("a stored head correction of " + rows + " rows");
            }
            s.headCorrection = new float[rows][];
            for (int r = 0; r < rows; r++) {
                s.headCorrection[r] = FloatArrays.read(in, MAX_ARRAY_BYTES);
            }
        }
        return s;
    }

    @Override
    public StreamInferenceState deserialize(StreamInferenceState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        serialize(deserialize(in), out);
    }

    /** Token ids (0..257) as bytes: below 255 one byte each, others {@code 255, id - 255}. */
    static byte[] encodeContext(int[] tokens) {
        byte[] out = new byte[tokens.length + (int) Arrays.stream(tokens).filter(t -> t >= ESCAPE).count()];
        int n = 0;
        for (int t : tokens) {
            if (t < 0 || t > ESCAPE + 2) {
                throw new IllegalArgumentException("token id " + t + " is not in 0..257");
            }
            if (t >= ESCAPE) {
                out[n++] = (byte) ESCAPE;
                t -= ESCAPE;
            }
            out[n++] = (byte) t;
        }
        return out;
    }

    static int[] decodeContext(byte[] bytes) throws IOException {
        int[] tokens = new int[bytes.length];
        int n = 0;
        for (int i = 0; i < bytes.length; i++) {
            int b = bytes[i] & 0xff;
            if (b == ESCAPE) {
                if (++i == bytes.length || (bytes[i] & 0xff) > 2) {
                    throw new IOException("a stored context ends in a bad escape");
                }
                b = ESCAPE + (bytes[i] & 0xff);
            }
            tokens[n++] = b;
        }
        return Arrays.copyOf(tokens, n);
    }

    @Override
    public TypeSerializerSnapshot<StreamInferenceState> snapshotConfiguration() {
        return new Snapshot();
    }

    /**
     * The serializer's snapshot, the same for layouts 1 to 3 (a record says by its presence byte which it is): state
     * of either is read as it is; state of the earlier POJO layout is migrated.
     */
    public static final class Snapshot extends SimpleTypeSerializerSnapshot<StreamInferenceState> {
        public Snapshot() {
            super(StreamInferenceStateSerializer::new);
        }

        @Override
        public TypeSerializerSchemaCompatibility<StreamInferenceState> resolveSchemaCompatibility(
                TypeSerializerSnapshot<StreamInferenceState> old) {
            if (old instanceof PojoSerializerSnapshot) {
                return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            return super.resolveSchemaCompatibility(old);
        }
    }
}
