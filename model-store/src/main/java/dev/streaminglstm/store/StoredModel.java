package dev.streaminglstm.store;

import dev.streaminglstm.schema.ModelManifest;

/**
 * One model version as read from a {@link ModelStore}: its manifest and its parameter bytes, both
 * already verified against each other (size and SHA-256). Only the store creates these.
 */
public final class StoredModel {

    private final ModelManifest manifest;
    private final byte[] parameters;

    StoredModel(ModelManifest manifest, byte[] parameters) {
        this.manifest = manifest;
        this.parameters = parameters;
    }

    public long version() {
        return manifest.getVersion();
    }

    /** A copy of the manifest (Avro records are mutable). */
    public ModelManifest manifest() {
        return ModelManifest.newBuilder(manifest).build();
    }

    /** A copy of the parameter bytes, in the model module's own format. */
    public byte[] parameters() {
        return parameters.clone();
    }

    @Override
    public String toString() {
        return "StoredModel{version=" + version() + ", bytes=" + parameters.length + "}";
    }
}
