package rsd.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Round trips and streaming on the cl100k vocabulary (ids 0..99,999 of Llama 3). */
class TokenizerPropertiesTest {
    private static final byte[] REPLACEMENT_UTF8 = {(byte) 0xEF, (byte) 0xBF, (byte) 0xBD};

    private static Tokenizer tokenizer() {
        return Cl100kVocabulary.tokenizer();
    }

    /**
     * The documented policy, computed independently with the JDK's encoder: unpaired surrogates become
     * U+FFFD, everything else is kept.
     */
    private static String expectedRoundTrip(String s) throws CharacterCodingException {
        ByteBuffer bytes = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE)
                .replaceWith(REPLACEMENT_UTF8)
                .encode(CharBuffer.wrap(s));
        return StandardCharsets.UTF_8.decode(bytes).toString();
    }

    @Property(tries = 400)
    void decodeOfEncodeGivesTheTextBack(@ForAll("unicodeText") String s) throws CharacterCodingException {
        Tokenizer t = tokenizer();
        String expected = expectedRoundTrip(s);
        assertThat(t.decode(t.encode(s))).isEqualTo(expected);
        assertThat(t.decode(t.encode(s, true))).isEqualTo(expected);
        if (s.codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF)) {
            assertThat(expected).isEqualTo(s);
        }
    }

    @Property(tries = 400)
    void streamingEqualsOneShotOnEncodedText(@ForAll("unicodeText") String s) {
        Tokenizer t = tokenizer();
        int[] ids = t.encode(s, true);
        assertThat(stream(t, ids)).isEqualTo(t.decode(ids));
    }

    @Property(tries = 600)
    void streamingEqualsOneShotOnAnyIds(@ForAll("idSequences") List<Integer> idList) {
        Tokenizer t = tokenizer();
        int[] ids = idList.stream().mapToInt(Integer::intValue).toArray();
        assertThat(stream(t, ids)).isEqualTo(t.decode(ids));
    }

    @Property(tries = 300)
    void streamingEmitsOnlyCompleteCharacters(@ForAll("unicodeText") String s) throws CharacterCodingException {
        // Valid text, cut into tokens anywhere inside characters: no piece may contain a replacement char
        // the text did not have, and no piece may end in half a surrogate pair.
        Tokenizer t = tokenizer();
        String valid = expectedRoundTrip(s).replace("\uFFFD", "?");
        StreamingDecoder d = t.streamingDecoder();
        StringBuilder all = new StringBuilder();
        for (int id : t.encode(valid)) {
            String out = d.push(id);
            assertThat(out).doesNotContain("\uFFFD");
            if (!out.isEmpty()) {
                assertThat(Character.isHighSurrogate(out.charAt(out.length() - 1))).isFalse();
            }
            all.append(out);
        }
        assertThat(d.flush()).isEmpty();
        assertThat(all.toString()).isEqualTo(valid);
    }

    private static String stream(Tokenizer t, int[] ids) {
        StreamingDecoder d = t.streamingDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ids) {
            sb.append(d.push(id));
        }
        sb.append(d.flush());
        // After flush the decoder starts clean.
        assertThat(d.flush()).isEmpty();
        return sb.toString();
    }

    /** Any UTF-16 text: ASCII-heavy code, all planes, lone surrogates, special-token names. */
    @Provide
    Arbitrary<String> unicodeText() {
        Arbitrary<String> pieces = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(4, Arbitraries.strings().ascii().ofMaxLength(12)),
                net.jqwik.api.Tuple.of(2, Arbitraries.strings().all().ofMaxLength(6)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 0x10FFFF).map(Character::toString)),
                net.jqwik.api.Tuple.of(1, Arbitraries.of("\uD800", "\uDFFF", "\uDBFF\uDBFF", "\uD83D\uDE00", "e\u0301",
                        "<|eot_id|>", "<|begin_of_text|>", "<|eot_id", "\r\n", "    ", "\t\t", "\u00A0", "1234567")));
        return pieces.list().ofMaxSize(20).map(l -> String.join("", l));
    }

    /** Ids that often end in the middle of a character: the 128 high byte tokens, plus any id at all. */
    @Provide
    Arbitrary<List<Integer>> idSequences() {
        BpeTokenizer t = (BpeTokenizer) tokenizer();
        Arbitrary<Integer> highByte = Arbitraries.integers().between(0x80, 0xFF).map(b -> t.bpe(new byte[] {(byte) (int) b}, 1)[0]);
        Arbitrary<Integer> any = Arbitraries.integers().between(0, t.vocabSize() - 1);
        Arbitrary<Integer> multiByteChar = Arbitraries.of("\u00E9", "\u20AC", "\uD83D\uDE00", "\u4F60\u597D")
                .map(s -> t.encode(s)[0]);
        return Arbitraries.oneOf(highByte, highByte, any, multiByteChar).list().ofMaxSize(25);
    }
}
