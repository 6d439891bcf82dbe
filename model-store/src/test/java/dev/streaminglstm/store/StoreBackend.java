package dev.streaminglstm.store;

import java.io.IOException;
import java.nio.file.Path;

/** The file systems the store's tests run on: each test class that takes one runs once on each. */
enum StoreBackend {
    /** {@code file://}: a temporary folder, pointers replaced by rename(2). */
    LOCAL_FILES {
        @Override
        StoreLocation newLocation(Path temporaryFolder) {
            return StoreLocation.localFolder(temporaryFolder);
        }
    },
    /** {@code s3://}: a fresh prefix on the tests' s3proxy, through Flink's flink-s3-fs-hadoop; pointers by one PUT. */
    S3 {
        @Override
        StoreLocation newLocation(Path temporaryFolder) throws IOException {
            return StoreLocation.newS3Prefix();
        }
    };

    /** A new, empty store location; {@code temporaryFolder} is the test's own, for the backends that need one. */
    abstract StoreLocation newLocation(Path temporaryFolder) throws IOException;
}
