package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** {@link ProcThreads}: {@code stat} lines, and this JVM's own threads. */
class ProcThreadsTest {

    @Test
    void readsNameNiceAndCpuTimeFromAStatLineWhoseNameHoldsParentheses() {
        String stat = "4242 (train (1/2)#0) S 1 4242 4242 0 -1 4194368 59 0 0 0 1200 34 0 0 20 5 41 0 1234 "
                + "4096 512 18446744073709551615 1 1 0 0 0 0 0 0 0";

        assertThat(ProcThreads.nameIn(stat)).isEqualTo("train (1/2)#0");
        assertThat(ProcThreads.niceIn(stat)).isEqualTo(5);
        assertThat(ProcThreads.cpuTicksIn(stat)).isEqualTo(1234);
    }

    @Test
    void seesAThreadOfThisJvmByItsNameAndTheCpuTimeItUses() throws Exception {
        assumeTrue(ProcThreads.available(), "Linux with /proc");
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean stop = new AtomicBoolean();
        Thread busy = new Thread(() -> {
            started.countDown();
            long x = 0;
            while (!stop.get()) {
                x += System.nanoTime() % 7;
            }
            assertThat(x).isNotNegative();
        }, "busy-for-a-test-of-proc");
        busy.start();
        started.await(10, TimeUnit.SECONDS);
        try {
            long before = ticksOf("busy-for-a-test");
            // a spinning thread accrues ticks for as long as it is scheduled: wait until the kernel counted some
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (ticksOf("busy-for-a-test") == before && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(ticksOf("busy-for-a-test")).isGreaterThan(before);
        } finally {
            stop.set(true);
            busy.join(10_000);
        }
        assertThat(ProcThreads.ticksPerSecond()).isPositive();
    }

    /** The CPU ticks of the one thread whose kernel name is {@code name} (15 bytes of the Java name). */
    private static long ticksOf(String name) {
        return ProcThreads.ofThisProcess().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow()
                .cpuTicks();
    }
}
