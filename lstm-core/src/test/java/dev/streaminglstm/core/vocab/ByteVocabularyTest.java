package dev.streaminglstm.core.vocab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteVocabularyTest {

    @Test
    void encodesUtf8BytesAsUnsignedIds() {
        assertThat(ByteVocabulary.encode("aé€😀")).containsExactly(
                0x61, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80);
        assertThat(ByteVocabulary.encode("")).isEmpty();
    }

    @Test
    void documentIsFramedByMarks() {
        assertThat(ByteVocabulary.encodeDocument("hi")).containsExactly(ByteVocabulary.START, 'h', 'i', ByteVocabulary.END);
        assertThat(ByteVocabulary.encodeDocument("")).containsExactly(ByteVocabulary.START, ByteVocabulary.END);
        assertThat(ByteVocabulary.SIZE).isEqualTo(258);
    }

    @Test
    void encodeDecodeRoundTrip() {
        for (String text : Utf8Samples.TEXTS) {
            assertThat(ByteVocabulary.decode(ByteVocabulary.encode(text))).isEqualTo(text);
            assertThat(ByteVocabulary.decode(ByteVocabulary.encodeDocument(text))).isEqualTo(text);
            assertThat(ByteVocabulary.toBytes(ByteVocabulary.encodeDocument(text)))
                    .isEqualTo(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void displaysEachClassOfToken() {
        assertThat(ByteVocabulary.display('a')).isEqualTo("a");
        assertThat(ByteVocabulary.display(' ')).isEqualTo(" ");
        assertThat(ByteVocabulary.display('~')).isEqualTo("~");
        assertThat(ByteVocabulary.display('\n')).isEqualTo("\\n");
        assertThat(ByteVocabulary.display('\r')).isEqualTo("\\r");
        assertThat(ByteVocabulary.display('\t')).isEqualTo("\\t");
        assertThat(ByteVocabulary.display('\\')).isEqualTo("\\\\");
        assertThat(ByteVocabulary.display(0)).isEqualTo("\\x00");
        assertThat(ByteVocabulary.display(0x7F)).isEqualTo("\\x7F");
        assertThat(ByteVocabulary.display(0xE2)).isEqualTo("\\xE2");
        assertThat(ByteVocabulary.display(0x80)).isEqualTo("\\x80");
        assertThat(ByteVocabulary.display(ByteVocabulary.START)).isEqualTo("<start>");
        assertThat(ByteVocabulary.display(ByteVocabulary.END)).isEqualTo("<end>");
    }

    @Test
    void everyTokenHasADistinctDisplay() {
        Set<String> seen = new HashSet<>();
        for (int t = 0; t < ByteVocabulary.SIZE; t++) {
            assertThat(seen.add(ByteVocabulary.display(t))).as("display of %d", t).isTrue();
        }
    }

    @Test
    void decodeReplacesBrokenSequencesAndDropsMarks() {
        // lone continuation byte, truncated 3-byte sequence cut by a mark, invalid lead byte
        int[] tokens = {'a', 0x80, 'b', 0xE2, 0x82, ByteVocabulary.END, 'c', 0xFF, ByteVocabulary.START, 'd', 0xF0};
        assertThat(ByteVocabulary.decode(tokens)).isEqualTo("a\uFFFDb\uFFFDc\uFFFDd\uFFFD");
    }

    @Test
    void rejectsIdsOutsideTheVocabulary() {
        assertThatThrownBy(() -> ByteVocabulary.decode(new int[] {'a', 258}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("token id 258 is outside the byte vocabulary [0, 258)");
        assertThatThrownBy(() -> ByteVocabulary.toBytes(new int[] {'a', -1}))
                .hasMessage("token id -1 at position 1 is outside the byte vocabulary [0, 258)");
        assertThatThrownBy(() -> ByteVocabulary.display(300))
                .hasMessage("token id 300 is outside the byte vocabulary [0, 258)");
    }
}
