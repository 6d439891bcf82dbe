package dev.streaminglstm.core.optim;

import dev.streaminglstm.core.format.ArrayCodec;
import dev.streaminglstm.core.format.ChecksummedInput;
import dev.streaminglstm.core.format.ChecksummedOutput;
import dev.streaminglstm.core.format.EncodedArray;
import dev.streaminglstm.core.format.ModelFormatException;
import dev.streaminglstm.core.format.ParameterHeader;
import dev.streaminglstm.core.model.ParameterSet;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Binary form of an {@link OptimizerState}, for operator state and checkpoints. Layout
 * (big-endian): magic {@code "SLSTMOPT"}, version (int, {@value #FORMAT_VERSION}), kind (string),
 * steps applied and skipped (longs); then, for kinds with moments, the model shape and data type
 * ({@link ParameterHeader}) and for each moment its name and its arrays ({@link ArrayCodec}); then the
 * CRC-32C of everything before. Values are stored bit for bit.
 */
public final class OptimizerStateCodec {
    /** The layout this build writes and reads. */
    public static final int FORMAT_VERSION = 1;

    private static final byte[] MAGIC = "SLSTMOPT".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_NAME_BYTES = 64;

    private OptimizerStateCodec() {}

    public static byte[] toBytes(OptimizerState state) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            ChecksummedOutput out = new ChecksummedOutput(bytes);
            out.writeBytes(MAGIC);
            out.writeInt(FORMAT_VERSION);
            out.writeString(state.kind().name(), MAX_NAME_BYTES, "optimizer kind");
            out.writeLong(state.stepsApplied());
            out.writeLong(state.stepsSkipped());
            if (!state.moments().isEmpty()) {
                ParameterSet first = state.moments().values().iterator().next();
                new ParameterHeader(first.config(), first.dataType()).write(out);
                for (Map.Entry<String, ParameterSet> e : state.moments().entrySet()) {
                    out.writeString(e.getKey(), MAX_NAME_BYTES, "moment name");
                    ArrayCodec.writeAll(out, e.getValue());
                }
            }
            out.finish();
        } catch (IOException e) {
            throw new UncheckedIOException("writing to memory failed", e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads what {@link #toBytes} wrote; the arrays are built only after the checksum matched.
     *
     * @throws ModelFormatException if the bytes are not an intact optimiser state this build reads
     */
    public static OptimizerState fromBytes(byte[] bytes) throws ModelFormatException {
        try {
            return read(bytes);
        } catch (ModelFormatException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFormatException("reading optimizer state from memory failed: " + e.getMessage(), e);
        }
    }

    private static OptimizerState read(byte[] bytes) throws IOException {
        ChecksummedInput in = new ChecksummedInput(new ByteArrayInputStream(bytes), "optimizer state");
        in.readMagic(MAGIC, "streaming-lstm optimizer state");
        int version = in.readInt();
        if (version != FORMAT_VERSION) {
            throw new ModelFormatException(
                    "optimizer state format version " + version + " is not supported; this build reads " + FORMAT_VERSION);
        }
        String kindName = in.readString(MAX_NAME_BYTES, "optimizer kind");
        OptimizerKind kind = Arrays.stream(OptimizerKind.values())
                .filter(k -> k.name().equals(kindName))
                .findFirst()
                .orElseThrow(() -> new ModelFormatException("unknown optimizer kind '" + kindName
                        + "'; this build reads " + Arrays.toString(OptimizerKind.values())));
        long applied = in.readLong();
        long skipped = in.readLong();
        if (applied < 0 || skipped < 0) {
            throw new ModelFormatException("negative step counters: " + applied + " applied, " + skipped + " skipped");
        }
        List<String> names = kind.momentNames();
        ParameterHeader header = null;
        List<List<EncodedArray>> encoded = new ArrayList<>();
        if (!names.isEmpty()) {
            header = ParameterHeader.read(in);
            long total = in.position() + Integer.BYTES;
            for (String name : names) {
                total += Integer.BYTES + name.getBytes(StandardCharsets.UTF_8).length + ArrayCodec.setLength(header);
            }
            ArrayCodec.requireWithinLimit(header);
            in.expectTotal(total);
            for (int i = 0; i < names.size(); i++) {
                String name = in.readString(MAX_NAME_BYTES, "moment name");
                if (!name.equals(names.get(i))) {
                    throw new ModelFormatException("moment " + (i + 1) + " of " + names.size() + " of a " + kind
                            + " state is named '" + name + "', expected '" + names.get(i) + "'");
                }
                encoded.add(ArrayCodec.readAll(in, header));
            }
        } else {
            in.expectTotal(in.position() + Integer.BYTES);
        }
        in.verifyChecksum();
        if (in.position() != bytes.length) {
            throw new ModelFormatException(
                    "optimizer state has " + (bytes.length - in.position()) + " unexpected bytes after its checksum");
        }
        Map<String, ParameterSet> moments = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            moments.put(names.get(i), ArrayCodec.build(header.config(), encoded.get(i)));
        }
        return new OptimizerState(kind, applied, skipped, moments);
    }
}
