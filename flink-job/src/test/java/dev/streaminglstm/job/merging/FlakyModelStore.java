package dev.streaminglstm.job.merging;

import dev.streaminglstm.store.ModelStore;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real model store whose next {@link #failWrites(int) n} version writes, or next {@link
 * #failLatestMoves(int) n} moves of LATEST, fail with an {@link IOException} before reaching it,
 * as an object store's calls do while it throttles or a connection drops.
 */
final class FlakyModelStore {
    private final AtomicInteger writesToFail = new AtomicInteger();
    private final AtomicInteger movesToFail = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();

    void failWrites(int n) {
        writesToFail.set(n);
    }

    void failLatestMoves(int n) {
        movesToFail.set(n);
    }

    /** How many calls have failed so far. */
    int failed() {
        return failed.get();
    }

    /** {@code store}, failing as configured. */
    ModelStore wrap(ModelStore store) {
        return (ModelStore) Proxy.newProxyInstance(ModelStore.class.getClassLoader(), new Class<?>[] {ModelStore.class},
                (proxy, method, args) -> {
                    AtomicInteger toFail = switch (method.getName()) {
                        case "writeVersion" -> writesToFail;
                        case "moveLatest" -> movesToFail;
                        default -> null;
                    };
                    if (toFail != null && toFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        failed.incrementAndGet();
                        throw new IOException("injected failure of " + method.getName() + " on " + store);
                    }
                    try {
                        return method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
