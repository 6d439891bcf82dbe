package dev.streaminglstm.core.format;

import dev.streaminglstm.core.model.ModelConfig;
import dev.streaminglstm.core.model.ParameterSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The versioned, self-describing binary file of a model's parameters. Layout (big-endian):
 * <ol>
 *   <li>magic {@code "SLSTMPRM"} (8 bytes) and the format version (int, {@value #FORMAT_VERSION});
 *   <li>the header: the model's shape and data type ({@link ParameterHeader}), then the
 *       hyper-parameters as a count (int) and that many key/value strings (int length, UTF-8),
 *       sorted by key;
 *   <li>every array the header names, in canonical order ({@link ArrayCodec});
 *   <li>the CRC-32C of everything before it (int).
 * </ol>
 * Reading never returns a half-read model: sizes are bounded before anything is allocated, the
 * checksum is verified before any array is built, and every problem is a
 * {@link ModelFormatException} that says what is wrong.
 */
public final class ModelFile {
    /** The layout this build writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** Most hyper-parameters one file may carry. */
    public static final int MAX_HYPER_PARAMETERS = 4096;
    /** Longest hyper-parameter key or value, in UTF-8 bytes. */
    public static final int MAX_SETTING_BYTES = 1 << 16;

    private static final byte[] MAGIC = "SLSTMPRM".getBytes(StandardCharsets.US_ASCII);
    private static final String WHAT = "streaming-lstm parameter file";

    private ModelFile() {}

    /**
     * Writes a model's parameters. The stream is flushed, not closed.
     *
     * @throws IllegalArgumentException if the parameters are not of {@code config}'s shape, not
     *     FLOAT or DOUBLE, or the hyper-parameters hold nulls or exceed the limits
     */
    public static void write(OutputStream out, ModelConfig config, Map<String, String> hyperParameters,
            ParameterSet parameters) throws IOException {
        if (!parameters.config().equals(config)) {
            throw new IllegalArgumentException("parameters are of shape "
                    + ParameterHeader.describe(parameters.config())
                    + ", not " + ParameterHeader.describe(config));
        }
        ParameterHeader header = new ParameterHeader(config, parameters.dataType());
        Map<String, String> settings = checkedSettings(hyperParameters);
        ChecksummedOutput sink = new ChecksummedOutput(out);
        sink.writeBytes(MAGIC);
        sink.writeInt(FORMAT_VERSION);
        header.write(sink);
        sink.writeInt(settings.size());
        for (Map.Entry<String, String> e : settings.entrySet()) {
            sink.writeString(e.getKey(), MAX_SETTING_BYTES, "hyper-parameter key");
            sink.writeString(e.getValue(), MAX_SETTING_BYTES, "value of hyper-parameter '" + e.getKey() + "'");
        }
        ArrayCodec.writeAll(sink, parameters);
        sink.finish();
    }

    /**
     * Reads a parameter file, consuming exactly its bytes (so a stream may hold several). Fields
     * are read with small bulk reads: wrap a file stream in a {@link java.io.BufferedInputStream}.
     *
     * @throws ModelFormatException if the input is not a complete, intact parameter file this build reads
     * @throws IOException if the stream itself fails
     */
    public static StoredParameters read(InputStream in) throws IOException {
        return read(in, null);
    }

    /**
     * Reads a parameter file that must hold a model of the expected shape; another shape is
     * rejected right after the header, before the arrays are read.
     *
     * @throws ModelFormatException as {@link #read(InputStream)}, or "file holds a model of shape
     *     X, expected Y"
     */
    public static StoredParameters read(InputStream in, ModelConfig expected) throws IOException {
        ChecksummedInput source = new ChecksummedInput(in, "file");
        source.readMagic(MAGIC, WHAT);
        int version = source.readInt();
        if (version != FORMAT_VERSION) {
            throw new ModelFormatException(
                    "format version " + version + " is not supported; this build reads " + FORMAT_VERSION);
        }
        ParameterHeader header = ParameterHeader.read(source);
        Map<String, String> settings = readSettings(source);
        if (expected != null && !expected.equals(header.config())) {
            throw new ModelFormatException("file holds a model of shape " + ParameterHeader.describe(header.config())
                    + ", expected " + ParameterHeader.describe(expected));
        }
        ArrayCodec.requireWithinLimit(header);
        source.expectTotal(source.position() + ArrayCodec.setLength(header) + Integer.BYTES);
        List<EncodedArray> arrays = ArrayCodec.readAll(source, header);
        source.verifyChecksum();
        ParameterSet parameters = ArrayCodec.build(header.config(), arrays);
        return new StoredParameters(header.config(), settings, parameters, version);
    }

    private static Map<String, String> readSettings(ChecksummedInput source) throws IOException {
        int count = source.readInt();
        if (count < 0 || count > MAX_HYPER_PARAMETERS) {
            throw new ModelFormatException(
                    "the header declares " + count + " hyper-parameters, outside [0, " + MAX_HYPER_PARAMETERS + "]");
        }
        Map<String, String> settings = new TreeMap<>();
        for (int i = 0; i < count; i++) {
            String key = source.readString(MAX_SETTING_BYTES, "hyper-parameter key " + (i + 1) + " of " + count);
            String value = source.readString(MAX_SETTING_BYTES, "value of hyper-parameter '" + key + "'");
            if (settings.put(key, value) != null) {
                throw new ModelFormatException("hyper-parameter '" + key + "' appears twice in the header");
            }
        }
        return settings;
    }

    private static Map<String, String> checkedSettings(Map<String, String> hyperParameters) {
        if (hyperParameters.size() > MAX_HYPER_PARAMETERS) {
            throw new IllegalArgumentException(hyperParameters.size() + " hyper-parameters, more than the "
                    + MAX_HYPER_PARAMETERS + " a file may carry");
        }
        Map<String, String> sorted = new TreeMap<>();
        hyperParameters.forEach((k, v) -> {
            if (k == null || v == null) {
                throw new IllegalArgumentException("hyper-parameters may not hold null: " + k + " = " + v);
            }
            sorted.put(k, v);
        });
        return sorted;
    }
}
