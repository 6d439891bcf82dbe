package dev.streaminglstm.store;

/**
 * How a store's filesystem can replace a pointer file ({@code LATEST}, {@code PINNED}) so that
 * readers never see it missing or half-written.
 *
 * <p>Flink 2 no longer exposes {@code FileSystem#getKind()}, and Flink's local {@code rename}
 * deletes the target before moving (not atomic), so the kind is decided by scheme in {@link
 * ModelStores}.
 */
enum StorageKind {
    /** Local disk: write a temporary file, then {@code rename(2)} it over the pointer. */
    LOCAL_FILE_SYSTEM,
    /** Object store without atomic rename: one PUT of the whole object, which is atomic. */
    OBJECT_STORE
}
