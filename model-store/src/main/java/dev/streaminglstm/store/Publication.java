package dev.streaminglstm.store;

import java.time.Instant;
import java.util.Optional;

/**
 * A version {@code LATEST} pointed at.
 *
 * @param at when it became {@code LATEST} (taken just before the pointer moved); empty only for the
 *     current {@code LATEST} in the moment between its move and the record of it
 */
public record Publication(long version, Optional<Instant> at) {}
