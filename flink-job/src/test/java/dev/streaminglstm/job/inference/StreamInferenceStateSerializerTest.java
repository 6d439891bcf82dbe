package dev.streaminglstm.job.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.streaminglstm.job.config.InferenceSettings;
import dev.streaminglstm.job.config.InferenceSettings.StatePrecision;
import dev.streaminglstm.job.state.FloatArrays;
import dev.streaminglstm.job.state.HalfFloats;
import dev.streaminglstm.schema.Prediction;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The stored layout of a stream's inference state: exact, compact, and nothing forgotten. */
class StreamInferenceStateSerializerTest {
    private static final StreamInferenceStateSerializer SERIALIZER = new StreamInferenceStateSerializer();

    static byte[] bytes(StreamInferenceState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        SERIALIZER.serialize(s, out);
        return out.getCopyOfBuffer();
    }

    static StreamInferenceState roundTrip(StreamInferenceState s) throws IOException {
        return SERIALIZER.deserialize(new DataInputDeserializer(bytes(s)));
    }

    @Test
    void everyStoredFieldComesBackExactlyAndTheDistributionIsLeftOut() throws IOException {
        StreamInferenceState s = new StreamInferenceState();
        s.state = new float[] {0.25f, -1e-30f, Float.MIN_VALUE, 7.5e6f, -0f};
        s.modelVersion = 12;
        s.context = new int[] {256, 0, 'a', 254, 255, 0xC3, 257, 256};
        s.next = new float[258];
        s.lastSequence = Long.MIN_VALUE + 1;
        s.bytePosition = 1L << 40;
        s.features = new float[] {1f, -2f};
        s.headCorrection = new float[][] {{0.125f, -3e-8f}, {2f, 0f}};

        StreamInferenceState back = roundTrip(s);

        assertThat(back.state).containsExactly(s.state);
        assertThat(Float.floatToRawIntBits(back.state[4])).as("-0 stays -0").isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(back.modelVersion).isEqualTo(12);
        assertThat(back.context).containsExactly(s.context);
        assertThat(back.next).as("computed again from the state, never stored").isNull();
        assertThat(back.lastSequence).isEqualTo(s.lastSequence);
        assertThat(back.bytePosition).isEqualTo(s.bytePosition);
        assertThat(back.features).containsExactly(1f, -2f);
        assertThat(back.headCorrection).isDeepEqualTo(s.headCorrection);
        assertThat(roundTrip(new StreamInferenceState())).usingRecursiveComparison()
                .isEqualTo(new StreamInferenceState());
    }

    /** Fails for a field added to the state without being added to the serializer. */
    @Test
    void everyFieldButTheDistributionIsStored() throws Exception {
        StreamInferenceState s = new StreamInferenceState();
        List<Field> stored = new ArrayList<>();
        int i = 1;
        for (Field f : StreamInferenceState.class.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.getName().equals("next")) {
                continue;
            }
            stored.add(f);
            f.set(s, someValue(f.getType(), i++));
        }
        StreamInferenceState back = roundTrip(s);
        for (Field f : stored) {
            assertThat(f.get(back)).as("field %s after a round trip", f.getName())
                    .usingRecursiveComparison().isEqualTo(f.get(s));
        }
    }

    private static Object someValue(Class<?> type, int i) {
        if (type == long.class) {
            return 1000L + i;
        }
        if (type == int.class) {
            return 1000 + i;
        }
        if (type == double.class) {
            return 0.5 + i;
        }
        if (type == float.class) {
            return 0.5f + i;
        }
        if (type == boolean.class) {
            return true;
        }
        if (type == float[].class) {
            return new float[] {i, -i, 0.5f};
        }
        if (type == float[][].class) {
            return new float[][] {{i, -i}, {0.5f, 0.25f}};
        }
        if (type == int[].class) {
            return new int[] {i, 256, 257};
        }
        if (type == double[].class) {
            return new double[] {i, 0.25};
        }
        throw new AssertionError("a field of type " + type + ": give it a value here and store it");
    }

    /** A stream at H 256 with a full 256-byte context, its (h, c) drawn at random. */
    private static StreamInferenceState streamAtHidden256() {
        StreamInferenceState s = new StreamInferenceState();
        Random random = new Random(256);
        s.state = new float[2 * 256];
        for (int i = 0; i < s.state.length; i++) {
            s.state[i] = (float) random.nextGaussian();
        }
        s.context = "The quick brown fox jumps over the lazy dog. ".repeat(6).chars().limit(256).toArray();
        s.next = new float[258];
        s.modelVersion = 3;
        s.lastSequence = 99;
        return s;
    }

    @Test
    void aStreamAtHidden256WithAFullContextTakesAboutTwoKilobytesWithAFloat32State() throws IOException {
        StreamInferenceState s = streamAtHidden256();

        assertThat(bytes(s)).hasSize(1 + 3 * 8 + 2 * 8 + 4 + 2 * 256 * 4 + 4 + 256);
        assertThat(roundTrip(s).state).containsExactly(s.state);
    }

    @Test
    void aFloat16StateIsStoredInTwoBytesAValueAndComesBackExactly() throws IOException {
        StreamInferenceState s = streamAtHidden256();
        HalfFloats.roundInPlace(s.state);
        s.state[7] = -0f;
        s.state[8] = HalfFloats.MAX_VALUE;
        s.state[9] = 0x1p-24f;

        byte[] stored = bytes(s);
        StreamInferenceState back = roundTrip(s);

        assertThat(stored).as("about 1.3 kB: the state takes half")
                .hasSize(1 + 3 * 8 + 2 * 8 + 4 + 2 * 256 * 2 + 4 + 256);
        assertThat(stored[0]).as("presence: a state, as float16").isEqualTo((byte) (1 | 4));
        assertThat(back.state).containsExactly(s.state);
        assertThat(Float.floatToRawIntBits(back.state[7])).as("-0 stays -0").isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(back.context).containsExactly(s.context);
        assertThat(back.modelVersion).isEqualTo(3);
    }

    @Test
    void aStateWithOneValueThatIsNoFloat16IsStoredAsFloatsExactly() throws IOException {
        StreamInferenceState s = streamAtHidden256();
        HalfFloats.roundInPlace(s.state);
        s.state[100] = Math.nextUp(s.state[100]);
        float[] withNaN = s.state.clone();
        withNaN[100] = Float.intBitsToFloat(0x7fc0_1234);

        assertThat(bytes(s)).hasSize(1 + 3 * 8 + 2 * 8 + 4 + 2 * 256 * 4 + 4 + 256);
        assertThat(roundTrip(s).state).containsExactly(s.state);
        s.state = withNaN;
        assertThat(Float.floatToRawIntBits(roundTrip(s).state[100])).as("a NaN with its payload")
                .isEqualTo(0x7fc0_1234);
    }

    /** Written as layout version 1 did, by hand: no presence bit 4, the state as floats even when all are float16. */
    @Test
    void aRecordOfLayoutVersion1IsReadAsItWasWritten() throws IOException {
        float[] state = {0.5f, -0f, 1f, 0.1f};
        float[] halfState = {0.5f, -0f, 1f, 2f};
        for (float[] stored : List.of(state, halfState)) {
            DataOutputSerializer out = new DataOutputSerializer(64);
            out.writeByte(1 | 2);
            out.writeLong(7);
            out.writeLong(41);
            out.writeLong(1234);
            out.writeDouble(99.5);
            out.writeLong(30);
            FloatArrays.write(out, stored);
            out.writeInt(3);
            out.write(new byte[] {'a', (byte) 255, 1});
            FloatArrays.write(out, new float[] {3f});

            StreamInferenceState back = SERIALIZER.deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));

            assertThat(back.state).containsExactly(stored);
            assertThat(Float.floatToRawIntBits(back.state[1])).isEqualTo(Float.floatToRawIntBits(-0f));
            assertThat(back.modelVersion).isEqualTo(7);
            assertThat(back.lastSequence).isEqualTo(41);
            assertThat(back.bytePosition).isEqualTo(1234);
            assertThat(back.scoredBits).isEqualTo(99.5);
            assertThat(back.scoredTokens).isEqualTo(30);
            assertThat(back.context).containsExactly('a', 256);
            assertThat(back.features).containsExactly(3f);
        }
    }

    @Test
    void corruptBytesAreAnIoErrorNotAHugeAllocation() throws IOException {
        StreamInferenceState s = new StreamInferenceState();
        s.state = new float[] {1f, 2f};
        s.context = new int[] {256, 'x'};
        byte[] good = bytes(s);

        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(Arrays.copyOf(good, good.length - 1))))
                .isInstanceOf(IOException.class);
        byte[] badPresence = good.clone();
        badPresence[0] = 17; // 16 is no presence bit
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(badPresence)))
                .isInstanceOf(IOException.class).hasMessageContaining("presence");
        byte[] halfOfNoState = bytes(new StreamInferenceState());
        halfOfNoState[0] = 4;
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(halfOfNoState)))
                .isInstanceOf(IOException.class).hasMessageContaining("presence");
        byte[] hugeState = good.clone();
        hugeState[1 + 3 * 8 + 2 * 8] = 0x7f; // the state's length
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(hugeState)))
                .isInstanceOf(IOException.class);
        s.state = new float[] {1f, 0.1f};
        byte[] hugeFloatState = bytes(s);
        hugeFloatState[1 + 3 * 8 + 2 * 8] = 0x7f;
        assertThatThrownBy(() -> SERIALIZER.deserialize(new DataInputDeserializer(hugeFloatState)))
                .isInstanceOf(IOException.class);
        assertThatThrownBy(() -> StreamInferenceStateSerializer.decodeContext(new byte[] {'a', (byte) 255}))
                .isInstanceOf(IOException.class);
    }

    /** As RocksDB does: the state is stored and read back between every two chunks. */
    @ParameterizedTest
    @EnumSource(StatePrecision.class)
    void predictionsFromStoredStateEqualThoseFromStateKeptInMemoryBitForBit(StatePrecision precision)
            throws IOException {
        InferenceSettings settings = InferenceSettings.parse("--continuation-length", "4", "--context-bytes", "16",
                "--inference-state-precision", precision.name());
        StreamPredictor inMemory = new StreamPredictor(settings, 3, new StreamPredictor.Listener() {});
        StreamPredictor stored = new StreamPredictor(settings, 3, new StreamPredictor.Listener() {});
        inMemory.serve(StreamPredictorTest.model(1, 5));
        stored.serve(StreamPredictorTest.model(1, 5));
        StreamInferenceState kept = new StreamInferenceState();
        StreamInferenceState read = new StreamInferenceState();
        String[] chunks = {"Guten ", "Tag, ", "", "wie geht", "s? Gut.", " Und ", "dir?"};
        for (int i = 0; i < chunks.length; i++) {
            Prediction a = inMemory.predict(StreamPredictorTest.event(i + 1, chunks[i], i == 0), kept);
            Prediction b = stored.predict(StreamPredictorTest.event(i + 1, chunks[i], i == 0), read);
            read = roundTrip(read);
            assertThat(b.getTopK()).as("chunk %d", i).isEqualTo(a.getTopK());
            assertThat(b.getContinuation()).isEqualTo(a.getContinuation());
            assertThat(b.getSurpriseBits()).isEqualTo(a.getSurpriseBits());
            assertThat(b.getScoredBits()).isEqualTo(a.getScoredBits());
        }
        assertThat(kept.next).as("the kept distribution").isNotNull();
    }
}
