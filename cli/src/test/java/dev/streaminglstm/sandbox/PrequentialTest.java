package dev.streaminglstm.sandbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class PrequentialTest {

    @Test
    void theWholeRunItsFirstAndItsRecentTokensAreKeptApart() {
        Prequential p = new Prequential();
        assertThat(p.snapshot().bpc()).isEmpty();

        p.add(0, 0); // a prediction that scored nothing (a stream's first token) changes nothing
        for (int i = 0; i < 300; i++) {
            p.add(8 * 100, 100); // 30,000 tokens at 8 bits
        }
        for (int i = 0; i < 300; i++) {
            p.add(2 * 100, 100); // then 30,000 at 2 bits
        }
        Prequential.Snapshot s = p.snapshot();

        assertThat(s.tokens()).isEqualTo(60_000);
        assertThat(s.bpc()).hasValueSatisfying(b -> assertThat(b).isCloseTo(5.0, within(1e-9)));
        assertThat(s.first()).hasValueSatisfying(b -> assertThat(b).isCloseTo(8.0, within(1e-9)));
        assertThat(s.recent()).hasValueSatisfying(b -> assertThat(b).isCloseTo(2.0, within(1e-9)));
        assertThat(s.falling()).isTrue();
    }

    @Test
    void theRecentWindowHoldsAtLeastItsTokensOnceThereAreThatMany() {
        Prequential p = new Prequential();
        p.add(3 * 15_000, 15_000);
        p.add(1 * 10_000, 10_000);

        // the first chunk cannot leave the window: without it the window would hold fewer than 20,000 tokens
        assertThat(p.snapshot().recent()).hasValueSatisfying(b -> assertThat(b).isCloseTo(2.2, within(1e-9)));
        p.add(1 * 10_000, 10_000);
        assertThat(p.snapshot().recent()).hasValueSatisfying(b -> assertThat(b).isCloseTo(1.0, within(1e-9)));
        assertThat(p.snapshot().falling()).isFalse();
    }

    @Test
    void theTokensDraftsScoredAreCountedApart() {
        Prequential p = new Prequential();
        p.add(30, 10, false);
        p.add(20, 10, true);
        p.add(10, 5, true);

        assertThat(p.snapshot().tokens()).isEqualTo(25);
        assertThat(p.snapshot().draftTokens()).isEqualTo(15);
        assertThat(p.snapshot().bpc()).hasValueSatisfying(b -> assertThat(b).isCloseTo(60.0 / 25, within(1e-9)));
    }
}
