package dev.streaminglstm.core.vocab;

import java.util.List;
import java.util.SplittableRandom;

/** Texts covering every length of UTF-8 sequence, used by the vocabulary tests. */
final class Utf8Samples {
    static final List<String> TEXTS = List.of(
            "",
            "plain ASCII, with punctuation!\n\ttabs and newlines\r\n",
            "accents: café, naïve, Ångström, Œuvre, ß",
            "CJK: 日本語のテキスト、中文字符、한국어",
            "emoji: 😀🎉🚀 and a family 👩‍👩‍👧 with flags 🇫🇷",
            "combining: e\u0301 a\u0308 n\u0303 \u0915\u093F",
            "mixed € ¢ ∑ 𝄞 ascii",
            randomText(new SplittableRandom(42), 300));

    private Utf8Samples() {}

    /** A random string of {@code codePoints} code points drawn from every plane (no surrogates). */
    static String randomText(SplittableRandom random, int codePoints) {
        StringBuilder s = new StringBuilder();
        while (s.codePointCount(0, s.length()) < codePoints) {
            int cp = switch (random.nextInt(4)) {
                case 0 -> random.nextInt(0x80);
                case 1 -> random.nextInt(0x80, 0x800);
                case 2 -> random.nextInt(0x800, 0x10000);
                default -> random.nextInt(0x10000, 0x110000);
            };
            if (cp >= 0xD800 && cp <= 0xDFFF) {
                continue;
            }
            s.appendCodePoint(cp);
        }
        return s.toString();
    }
}
