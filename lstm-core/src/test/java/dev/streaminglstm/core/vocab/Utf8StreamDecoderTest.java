package dev.streaminglstm.core.vocab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {

    @Test
    void twoPiecesCutAtEveryOffsetGiveTheOriginalText() {
        for (String text : Utf8Samples.TEXTS) {
            int[] tokens = ByteVocabulary.encodeDocument(text);
            for (int cut = 0; cut <= tokens.length; cut++) {
                Utf8StreamDecoder decoder = new Utf8StreamDecoder();
                String first = decoder.feed(tokens, 0, cut);
                String second = decoder.feed(tokens, cut, tokens.length);
                assertThat(first + second).as("text %s cut at %d", text, cut).isEqualTo(text);
                assertThat(decoder.hasPending()).isFalse();
            }
        }
    }

    @Test
    void pendingBytesSurviveExportAndImportAtEveryOffset() {
        for (String text : Utf8Samples.TEXTS) {
            int[] tokens = ByteVocabulary.encode(text);
            for (int cut = 0; cut <= tokens.length; cut++) {
                Utf8StreamDecoder before = new Utf8StreamDecoder();
                String first = before.feed(tokens, 0, cut);
                byte[] kept = before.pendingBytes();
                assertThat(kept.length).isLessThanOrEqualTo(3);
                Utf8StreamDecoder after = Utf8StreamDecoder.withPending(kept);
                String second = after.feed(tokens, cut, tokens.length) + after.finish();
                assertThat(first + second).as("text %s cut at %d", text, cut).isEqualTo(text);
            }
        }
    }

    @Test
    void randomMultiCutsGiveTheOriginalText() {
        SplittableRandom random = new SplittableRandom(7);
        for (int round = 0; round < 200; round++) {
            String text = Utf8Samples.randomText(random, 1 + random.nextInt(60));
            int[] tokens = ByteVocabulary.encodeDocument(text);
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            StringBuilder out = new StringBuilder();
            int from = 0;
            while (from < tokens.length) {
                int to = Math.min(tokens.length, from + random.nextInt(1, 6));
                out.append(decoder.feed(tokens, from, to));
                // a restart from exported pending bytes must not change anything
                decoder = Utf8StreamDecoder.withPending(decoder.pendingBytes());
                from = to;
            }
            assertThat(out.toString()).isEqualTo(text);
        }
    }

    @Test
    void keepsPartialCharacterUntilItCompletes() {
        int[] euro = ByteVocabulary.encode("€"); // E2 82 AC
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertThat(decoder.feed(new int[] {'x', euro[0]})).isEqualTo("x");
        assertThat(decoder.pendingBytes()).containsExactly((byte) 0xE2);
        assertThat(decoder.feed(new int[] {euro[1]})).isEmpty();
        assertThat(decoder.pendingBytes()).containsExactly((byte) 0xE2, (byte) 0x82);
        assertThat(decoder.feed(new int[] {euro[2]})).isEqualTo("€");
        assertThat(decoder.pendingBytes()).isEmpty();
    }

    @Test
    void markFlushesPendingBytesAsOneReplacement() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertThat(decoder.feed(new int[] {'a', 0xF0, 0x9F, 0x98})).isEqualTo("a");
        assertThat(decoder.feed(new int[] {ByteVocabulary.END, ByteVocabulary.START, 'b'})).isEqualTo("\uFFFDb");
        assertThat(decoder.finish()).isEmpty();
    }

    @Test
    void finishFlushesPendingBytes() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertThat(decoder.feed(new int[] {0xC3})).isEmpty();
        assertThat(decoder.finish()).isEqualTo("\uFFFD");
        assertThat(decoder.hasPending()).isFalse();
    }

    @Test
    void invalidBytesAreReplacedLikeTheJdkDecoderDoes() {
        // 0xED is left out: the JDK replaces an encoded surrogate as one unit (see specificInvalidSequences)
        SplittableRandom random = new SplittableRandom(3);
        int[] interesting = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF,
            0xE0, 0xE1, 0xEC, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};
        for (int round = 0; round < 20_000; round++) {
            byte[] bytes = new byte[1 + random.nextInt(8)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) interesting[random.nextInt(interesting.length)];
            }
            String expected = new String(bytes, StandardCharsets.UTF_8);
            assertThat(ByteVocabulary.decode(ByteVocabulary.fromBytes(bytes)))
                    .as("bytes %s", Arrays.toString(bytes)).isEqualTo(expected);
            int cut = random.nextInt(bytes.length + 1);
            Utf8StreamDecoder decoder = new Utf8StreamDecoder();
            int[] tokens = ByteVocabulary.fromBytes(bytes);
            String pieces = decoder.feed(tokens, 0, cut) + decoder.feed(tokens, cut, tokens.length) + decoder.finish();
            assertThat(pieces).as("bytes %s cut at %d", Arrays.toString(bytes), cut).isEqualTo(expected);
        }
    }

    @Test
    void specificInvalidSequences() {
        // overlong '/', a UTF-8-encoded surrogate (maximal subparts: three replacements), a code point above U+10FFFF
        assertThat(ByteVocabulary.decode(new int[] {0xC0, 0xAF})).isEqualTo("\uFFFD\uFFFD");
        assertThat(ByteVocabulary.decode(new int[] {0xED, 0xA0, 0x80})).isEqualTo("\uFFFD\uFFFD\uFFFD");
        assertThat(ByteVocabulary.decode(new int[] {0xF4, 0x90, 0x80, 0x80})).isEqualTo("\uFFFD\uFFFD\uFFFD\uFFFD");
        // a truncated sequence followed by ASCII: one replacement, the ASCII kept
        assertThat(ByteVocabulary.decode(new int[] {0xE2, 0x82, 'A'})).isEqualTo("\uFFFDA");
    }

    @Test
    void rejectsImportedBytesThatCannotBePending() {
        assertThatThrownBy(() -> Utf8StreamDecoder.withPending(new byte[] {'a'}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("pending bytes [61] are not the incomplete start of a UTF-8 character");
        assertThatThrownBy(() -> Utf8StreamDecoder.withPending(new byte[] {(byte) 0xC3, (byte) 0xA9}))
                .hasMessageContaining("[C3 A9]");
        assertThatThrownBy(() -> Utf8StreamDecoder.withPending(new byte[] {(byte) 0xE2, 0x41}))
                .hasMessageContaining("[E2 41]");
        assertThatThrownBy(() -> Utf8StreamDecoder.withPending(new byte[] {(byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80}))
                .hasMessageContaining("[F0 9F 98 80]");
    }

    @Test
    void rejectsTokensOutsideTheVocabulary() {
        Utf8StreamDecoder decoder = new Utf8StreamDecoder();
        assertThatThrownBy(() -> decoder.feed(new int[] {999}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token id 999");
    }
}
