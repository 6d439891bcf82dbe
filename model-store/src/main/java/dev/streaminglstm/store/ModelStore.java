package dev.streaminglstm.store;

import dev.streaminglstm.schema.ModelManifest;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The shared store of model versions: the training job publishes versions here, the inference
 * operator and the CLI read them.
 *
 * <p>A version is a numbered pair of opaque parameter bytes and a {@link ModelManifest}. It becomes
 * visible to readers only once it is committed, and servable only once {@code LATEST} points at or
 * beyond it. Versions at or below {@code LATEST} are immutable; versions above it may be rewritten
 * (a failed checkpoint's version is re-produced after a restore). {@code LATEST} only moves
 * forward; rolling back is done by pinning an older version.
 *
 * <p>One writer (the job) and any number of concurrent readers are supported. Every read verifies
 * the version's size and SHA-256 checksum, so a torn or corrupt version is never returned.
 */
public interface ModelStore {

    /**
     * Writes a version and commits it. The store computes {@code parametersChecksum} and
     * {@code parametersBytes} itself; whatever the given manifest holds there is replaced.
     *
     * @return the manifest as stored (for an idempotent re-write, the one stored earlier)
     * @throws IllegalStateException if the version is at or below {@code LATEST} and holds different
     *     parameters, or was never committed
     */
    ModelManifest writeVersion(ModelManifest manifest, byte[] parameters) throws IOException;

    /**
     * Points {@code LATEST} at a committed, verified version. Moving to the current {@code LATEST}
     * is a no-op. An unreadable {@code LATEST} is replaced only by a version at least as high as
     * every committed version, which cannot be a move backwards.
     *
     * @throws IllegalStateException if that would move {@code LATEST} backwards, or {@code LATEST} is
     *     unreadable and a higher version is committed
     * @throws CorruptVersionException if the version is not committed or does not verify
     */
    void moveLatest(long version) throws IOException;

    /**
     * The versions {@code LATEST} has pointed at that are still stored, ascending, each with the time
     * it became {@code LATEST}: what readers may have served from {@code LATEST}, and from when.
     * Versions written but never made {@code LATEST} (a failed checkpoint's, a skipped one) are not
     * among them.
     */
    List<Publication> publications() throws IOException;

    /**
     * The version {@code LATEST} points at, empty before the first publication.
     *
     * @throws CorruptPointerException if {@code LATEST} does not hold a version number
     */
    OptionalLong latestVersion() throws IOException;

    /**
     * The pinned version, empty when nothing is pinned.
     *
     * @throws CorruptPointerException if {@code PINNED} does not hold a version number
     */
    OptionalLong pinnedVersion() throws IOException;

    /**
     * Makes readers serve this version instead of {@code LATEST} (rollback). Only verified versions
     * at or below {@code LATEST} can be pinned.
     */
    void pin(long version) throws IOException;

    /** Removes the pin, if any, so that readers serve {@code LATEST} again. */
    void unpin() throws IOException;

    /** The version readers should serve: the pinned one if set, else {@code LATEST}. */
    OptionalLong servingVersion() throws IOException;

    /**
     * Reads a version completely and verifies it.
     *
     * @throws CorruptVersionException if it is missing, not committed, or does not verify
     */
    StoredModel readVersion(long version) throws IOException;

    /**
     * Numbers of every version that has anything stored, ascending: committed or not (unfinished
     * writes included), and above {@code LATEST} as well as at or below it. A writer that must not
     * collide with anything written before numbers its versions above the last of these.
     */
    List<Long> versionNumbers() throws IOException;

    /**
     * Manifests of all committed versions, ascending.
     *
     * @throws CorruptVersionException if a committed version's manifest is unreadable
     */
    List<ModelManifest> listVersions() throws IOException;

    /**
     * Deletes old versions, keeping the newest {@code keepLast} committed versions at or below
     * {@code LATEST}. Never deletes {@code LATEST}, the pinned version, or anything above
     * {@code LATEST}. Uncommitted leftovers below {@code LATEST} are deleted.
     */
    void retain(int keepLast) throws IOException;

    /**
     * Replaces the store's draft: the writer's model between two versions, for its own readers that trade the
     * {@code LATEST} guarantee for fresher weights. A draft is never a version: {@code LATEST} and pins never point at
     * it, listings and retention ignore it, and each draft replaces the one before. Not durable: a draft torn by a
     * crash is simply not read. The store fills in the checksum and size as for a version.
     *
     * @return the draft's number, which increases with every draft written to this store
     */
    long writeDraft(ModelManifest manifest, byte[] parameters) throws IOException;

    /** The number of the newest draft, empty if none was written: one small read, for polling. */
    OptionalLong draftNumber() throws IOException;

    /**
     * Reads draft {@code number} and verifies it; empty if it is no longer stored (a newer one replaced it) or was
     * torn.
     */
    Optional<StoredModel> readDraft(long number) throws IOException;
}
