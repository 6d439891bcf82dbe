package dev.streaminglstm.store;

import dev.streaminglstm.schema.ModelManifest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/** The on-disk form of a manifest: Avro's JSON encoding of {@link ModelManifest}, pretty-printed. */
final class ManifestJson {

    private ManifestJson() {}

    static byte[] encode(ModelManifest manifest) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            JsonEncoder encoder =
                    EncoderFactory.get().jsonEncoder(ModelManifest.getClassSchema(), out, true);
            new SpecificDatumWriter<>(ModelManifest.class).write(manifest, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a manifest into memory", e);
        }
        return out.toByteArray();
    }

    /** Decodes a manifest; any malformed or mistyped JSON becomes an IOException. */
    static ModelManifest decode(byte[] json) throws IOException {
        try {
            return new SpecificDatumReader<>(ModelManifest.class)
                    .read(
                            null,
                            DecoderFactory.get()
                                    .jsonDecoder(ModelManifest.getClassSchema(), new ByteArrayInputStream(json)));
        } catch (AvroRuntimeException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
