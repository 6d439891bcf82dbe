package dev.streaminglstm.core.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenSampler#topK} against a full sort of every id by the order it promises (more
 * probable first, ties by lower id, NaN above every number), for every k on both sides of the
 * switch from selection to sorting, on distributions with ties, zeros of both signs and NaN.
 */
class TokenSamplerTest {

    @Test
    void topKIsThePrefixOfTheFullOrder() {
        Random random = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            float[] p = new float[trial % 2 == 0 ? 258 : 7];
            for (int i = 0; i < p.length; i++) {
                p[i] = switch (random.nextInt(8)) {
                    case 0 -> 0f;
                    case 1 -> -0f;
                    case 2 -> 0.25f;
                    case 3 -> trial % 5 == 0 ? Float.NaN : 0.5f;
                    default -> random.nextFloat();
                };
            }
            int[] order = fullOrder(p);
            for (int k = 1; k <= p.length + 2; k++) {
                assertThat(TokenSampler.topK(p, k)).as("trial %d, k %d", trial, k)
                        .containsExactly(Arrays.copyOf(order, Math.min(k, p.length)));
            }
        }
    }

    @Test
    void greedyIsTheFirstOfTheTopAndKMustBePositive() {
        float[] p = {0.1f, 0.3f, 0.3f, 0.2f};
        assertThat(TokenSampler.topK(p, 2)).containsExactly(1, 2);
        assertThat(TokenSampler.greedy(p)).isEqualTo(1);
        assertThatThrownBy(() -> TokenSampler.topK(p, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Every id, sorted with the boxed comparator the promise describes. */
    private static int[] fullOrder(float[] p) {
        Integer[] ids = new Integer[p.length];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = i;
        }
        Arrays.sort(ids, (a, b) -> p[a] != p[b] ? Float.compare(p[b], p[a]) : Integer.compare(a, b));
        return Arrays.stream(ids).mapToInt(Integer::intValue).toArray();
    }
}
