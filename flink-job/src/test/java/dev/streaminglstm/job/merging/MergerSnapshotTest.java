package dev.streaminglstm.job.merging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The merger's state layouts: the current one round trips, the one before it is still read. */
class MergerSnapshotTest {

    @Test
    void theCurrentLayoutRoundTripsWithTheTrainedLoss() throws IOException {
        TreeMap<Long, Long> awaiting = new TreeMap<>();
        awaiting.put(9L, 5L);
        MergerSnapshot s = new MergerSnapshot(5, 4, true, 640, 10, 1, 2.5, new TrainedLoss(1234.5, 600), awaiting,
                new float[] {0.5f, -1f, 3f});

        MergerSnapshot read = MergerSnapshot.fromBytes(s.toBytes());

        assertThat(read.trainedLoss()).isEqualTo(new TrainedLoss(1234.5, 600));
        assertThat(read.parameters()).containsExactly(0.5f, -1f, 3f);
        assertThat(read).usingRecursiveComparison().isEqualTo(s);
    }

    @Test
    void theLayoutWithTheParentButNoTrainedLossIsReadWithNone() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(-2); // the layout that records the parent version
            out.writeLong(5); // version
            out.writeLong(4); // parent
            out.writeBoolean(true); // changed
            out.writeLong(640); // tokens
            out.writeLong(10); // windows
            out.writeLong(1); // skipped steps
            out.writeDouble(2.5); // recent loss
            out.writeInt(1); // versions awaiting their checkpoint
            out.writeLong(9);
            out.writeLong(5);
            out.writeInt(2);
            out.writeFloat(0.5f);
            out.writeFloat(-1f);
        }

        MergerSnapshot read = MergerSnapshot.fromBytes(bytes.toByteArray());

        assertThat(read.version()).isEqualTo(5);
        assertThat(read.parentOfVersion()).isEqualTo(4);
        assertThat(read.tokens()).isEqualTo(640);
        assertThat(read.recentLossBpc()).isEqualTo(2.5);
        assertThat(read.trainedLoss()).isEqualTo(TrainedLoss.NONE);
        assertThat(read.awaitingCommit()).containsEntry(9L, 5L);
        assertThat(read.parameters()).containsExactly(0.5f, -1f);
    }
}
