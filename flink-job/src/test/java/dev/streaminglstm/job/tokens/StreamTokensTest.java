package dev.streaminglstm.job.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import dev.streaminglstm.core.vocab.ByteVocabulary;
import dev.streaminglstm.schema.TextEvent;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StreamTokensTest {
    static final int S = ByteVocabulary.START;
    static final int E = ByteVocabulary.END;

    static Stream<Arguments> chunks() {
        return Stream.of(
                Arguments.of("ab", false, false, new int[] {'a', 'b'}),
                Arguments.of("ab", true, false, new int[] {S, 'a', 'b'}),
                Arguments.of("ab", true, true, new int[] {E, S, 'a', 'b'}),
                Arguments.of("", false, true, new int[0]),
                Arguments.of("", true, true, new int[] {E, S}),
                Arguments.of("é", false, true, new int[] {0xC3, 0xA9}));
    }

    @ParameterizedTest(name = "\"{0}\" starts={1} hasTokens={2}")
    @MethodSource("chunks")
    void aChunkAddsItsMarksAndBytes(String text, boolean starts, boolean hasTokens, int[] expected) {
        TextEvent e = TextEvent.newBuilder().setStreamId("s").setSequenceNumber(1).setText(text)
                .setEventTime(Instant.EPOCH).setStartsDocument(starts).setFeatures(null).build();
        assertThat(StreamTokens.of(e, hasTokens)).containsExactly(expected);
    }
}
