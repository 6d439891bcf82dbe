package dev.streaminglstm.sandbox.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RateLimitTest {

    @Test
    void theEarliestSendTimeFollowsTheCountedUnit() {
        assertThat(RateLimit.bytesPerSecond(1000).earliestNanos(7, 500)).isEqualTo(500_000_000L);
        assertThat(RateLimit.chunksPerSecond(4).earliestNanos(2, 10_000)).isEqualTo(500_000_000L);
        assertThat(RateLimit.unlimited().earliestNanos(1_000_000, 1L << 40)).isZero();
    }

    @Test
    void aRateMustBePositive() {
        assertThatThrownBy(() -> RateLimit.bytesPerSecond(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RateLimit.chunksPerSecond(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
