package rsd.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rsd.error.RsdException;

class BpeTokenizerTest {
    /** A small vocabulary: the 256 byte tokens, then the given tokens (normal), then two control tokens. */
    static Map<String, Object> tiny(List<String> extra, List<String> merges) {
        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteUnicode.charOf(b)));
            types.add(BpeTokenizer.TYPE_NORMAL);
        }
        tokens.addAll(extra);
        extra.forEach(t -> types.add(BpeTokenizer.TYPE_NORMAL));
        tokens.add("<|begin_of_text|>");
        types.add(BpeTokenizer.TYPE_CONTROL);
        tokens.add("<|eot_id|>");
        types.add(BpeTokenizer.TYPE_CONTROL);
        Map<String, Object> md = new HashMap<>();
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", "llama-bpe");
        md.put("tokenizer.ggml.tokens", tokens);
        md.put("tokenizer.ggml.token_type", types);
        md.put("tokenizer.ggml.merges", merges);
        return md;
    }

    private static Map<String, Object> abc() {
        // "ab" and "bc" both exist; "bc" has the better merge, so "abc" -> "a" "bc", never "ab" "c".
        return tiny(List.of("bc", "ab", "abc", "Ġa"), List.of("b c", "a b", "ab c", "Ġ a"));
    }

    private static int id(Tokenizer t, String piece) {
        int id = t.idOf(piece);
        assertThat(id).as("id of %s", piece).isGreaterThanOrEqualTo(0);
        return id;
    }

    @Test
    void mergesFollowPriorityNotPosition() {
        Tokenizer t = Tokenizers.fromMetadata(abc(), "tiny");
        assertThat(t.encode("abc")).containsExactly(id(t, "a"), id(t, "bc"));
        assertThat(t.encode("ab")).containsExactly(id(t, "ab"));
        assertThat(t.encode(" a")).containsExactly(id(t, " a"));
        assertThat(t.piece(id(t, " a"))).isEqualTo(" a");
    }

    @Test
    void equalPrioritiesMergeLeftmostFirst() {
        Tokenizer t = Tokenizers.fromMetadata(tiny(List.of("aa"), List.of("a a")), "tiny");
        assertThat(t.encode("aaa")).containsExactly(id(t, "aa"), id(t, "a"));
    }

    @Test
    void realLlama3CutsAreReproduced() {
        // These token strings were measured with the real Llama-3 tokenizer; ids
        // below 100,000 are cl100k's, so the cl100k vocabulary with llama-bpe must give the same cuts.
        Tokenizer t = Cl100kVocabulary.tokenizer();
        String code = "def fibonacci(n):\n    if n < 2:\n        return n\n    return b\n\n\nclass Foo(Bar):\n"
                + "        self.a = a\n";
        List<String> expected = List.of("def", " fibonacci", "(n", "):\n", "   ", " if", " n", " <", " ", "2", ":\n",
                "       ", " return", " n", "\n", "   ", " return", " b", "\n\n\n", "class", " Foo", "(", "Bar", "):\n",
                "       ", " self", ".a", " =", " a", "\n");
        List<String> pieces = new ArrayList<>();
        for (int id : t.encode(code)) {
            pieces.add(t.piece(id));
        }
        assertThat(pieces).containsExactlyElementsOf(expected);
    }

    @Test
    void specialTokensNeverComeFromPlainText() {
        Tokenizer t = Cl100kVocabulary.tokenizer();
        String text = "say <|eot_id|> now<|begin_of_text|>";
        int[] plain = t.encode(text);
        for (int id : plain) {
            assertThat(t.isSpecial(id)).as("id %d in plain encoding", id).isFalse();
        }
        assertThat(t.decode(plain)).isEqualTo(text);

        int[] special = t.encode(text, true);
        assertThat(special).containsSubsequence(Cl100kVocabulary.EOT, Cl100kVocabulary.BEGIN_OF_TEXT);
        assertThat(special[special.length - 1]).isEqualTo(Cl100kVocabulary.BEGIN_OF_TEXT);
        assertThat(t.decode(special)).isEqualTo(text);
        // Text around a special token is split on its own: " now" keeps its space-led word token.
        assertThat(t.encode("<|eot_id|> now", true)).containsExactly(Cl100kVocabulary.EOT, id(t, " now"));
    }

    @Test
    void specialIdsAndFlags() {
        Tokenizer t = Cl100kVocabulary.tokenizer();
        assertThat(t.vocabSize()).isEqualTo(Cl100kVocabulary.CL100K_TOKENS + 11);
        assertThat(t.bos()).isEqualTo(Cl100kVocabulary.BEGIN_OF_TEXT);
        assertThat(t.eos()).isEqualTo(Cl100kVocabulary.END_OF_TEXT);
        assertThat(t.eot()).as("found by name, no eot key").isEqualTo(Cl100kVocabulary.EOT);
        assertThat(t.addBos()).isTrue();
        assertThat(t.isEndOfGeneration(Cl100kVocabulary.EOT)).isTrue();
        assertThat(t.isEndOfGeneration(Cl100kVocabulary.END_OF_TEXT)).isTrue();
        assertThat(t.isEndOfGeneration(Cl100kVocabulary.EOM)).isTrue();
        assertThat(t.isEndOfGeneration(Cl100kVocabulary.START_HEADER)).isFalse();
        assertThat(t.isEndOfGeneration(id(t, "\n"))).isFalse();
        assertThat(t.isSpecial(Cl100kVocabulary.START_HEADER)).isTrue();
        assertThat(t.isSpecial(id(t, "def"))).isFalse();
        assertThat(t.idOf("<|eot_id|>")).isEqualTo(Cl100kVocabulary.EOT);
        assertThat(t.idOf("no such token in any vocabulary")).isEqualTo(-1);
        assertThat(new String(t.tokenBytes(Cl100kVocabulary.EOT), StandardCharsets.UTF_8)).isEqualTo("<|eot_id|>");
        assertThat(t.tokenBytes(id(t, " the"))).isEqualTo(" the".getBytes(StandardCharsets.UTF_8));
        assertThat(t.tokenBytes(id(t, "\n\n"))).isEqualTo(new byte[] {10, 10});
    }

    @Test
    void metadataKeysOverrideDefaults() {
        Map<String, Object> md = tiny(List.of(), List.of());
        Tokenizer plain = Tokenizers.fromMetadata(md, "tiny");
        assertThat(plain.addBos()).as("add_bos_token defaults to true").isTrue();
        assertThat(plain.bos()).isEqualTo(-1);
        assertThat(plain.eot()).isEqualTo(257);
        md.put("tokenizer.ggml.add_bos_token", false);
        md.put("tokenizer.ggml.bos_token_id", 256L);
        md.put("tokenizer.ggml.eos_token_id", 257);
        md.put("tokenizer.ggml.eot_token_id", 10);
        md.put("tokenizer.ggml.padding_token_id", 0);
        BpeTokenizer t = BpeTokenizer.fromMetadata(md, "tiny");
        assertThat(t.addBos()).isFalse();
        assertThat(t.bos()).isEqualTo(256);
        assertThat(t.eot()).isEqualTo(10);
        assertThat(t.padding()).isEqualTo(0);
        assertThat(t.isEndOfGeneration(10)).isTrue();
        assertThat(t.isEndOfGeneration(257)).isTrue();
    }

    @Test
    void gpt2PreTokenizerWhenPreIsAbsent() {
        Map<String, Object> md = new HashMap<>(Cl100kVocabulary.metadata());
        md.remove("tokenizer.ggml.pre");
        BpeTokenizer t = BpeTokenizer.fromMetadata(md, "cl100k without pre");
        assertThat(t.preTokenizerName()).isEqualTo("gpt2");
        // GPT-2 keeps " 1234" together (one pre-token); llama-bpe splits digits from the space.
        int[] gpt2 = t.encode(" 1234");
        int[] llama = Cl100kVocabulary.tokenizer().encode(" 1234");
        assertThat(t.decode(gpt2)).isEqualTo(" 1234");
        assertThat(llama).containsExactly(id(t, " "), id(t, "123"), id(t, "4"));
        assertThat(gpt2).isNotEqualTo(llama);
    }

    @Test
    void longPiecesUseTheHeapWithTheSameResult() {
        BpeTokenizer t = (BpeTokenizer) Cl100kVocabulary.tokenizer();
        Random rnd = new Random(42);
        String[] alphabets = {"ab", "abcdefghijklmnopqrstuvwxyz", " ", "=-", "aeiou xyz\n", "\u00e9\u4F60a"};
        for (int trial = 0; trial < 300; trial++) {
            String alpha = alphabets[trial % alphabets.length];
            StringBuilder sb = new StringBuilder();
            int len = 1 + rnd.nextInt(400);
            for (int i = 0; i < len; i++) {
                sb.append(alpha.charAt(rnd.nextInt(alpha.length())));
            }
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            int[] linear = t.bpeLinear(initial(t, b), b.length);
            int[] heap = t.bpeHeap(initial(t, b), b.length);
            assertThat(heap).as("%s", sb).containsExactly(linear);
            assertThat(t.decode(heap)).isEqualTo(sb.toString());
        }
    }

    private static int[] initial(BpeTokenizer t, byte[] b) {
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = byteId(t, b[i] & 0xFF);
        }
        return ids;
    }

    private static int byteId(BpeTokenizer t, int b) {
        return t.bpe(new byte[] {(byte) b}, 1)[0];
    }

    @Test
    void decodingReplacesEachMaximalSubpartOfBadUtf8() {
        BpeTokenizer t = (BpeTokenizer) Cl100kVocabulary.tokenizer();
        int euro1 = byteId(t, 0xE2), euro2 = byteId(t, 0x82), euro3 = byteId(t, 0xAC);
        int a = id(t, "a");
        assertThat(t.decode(new int[] {euro1, euro2, euro3})).isEqualTo("\u20AC");
        assertThat(t.decode(new int[] {euro1, euro2, a})).as("truncated, then ASCII").isEqualTo("\uFFFDa");
        assertThat(t.decode(new int[] {euro1, euro2})).as("truncated at the end").isEqualTo("\uFFFD");
        assertThat(t.decode(new int[] {euro3, euro3, a})).as("stray continuation bytes").isEqualTo("\uFFFD\uFFFDa");
        assertThat(t.decode(new int[] {byteId(t, 0xC0), byteId(t, 0xAF)})).as("overlong").isEqualTo("\uFFFD\uFFFD");
        assertThat(t.decode(new int[] {byteId(t, 0xED), byteId(t, 0xA0), byteId(t, 0x80)})).as("surrogate")
                .isEqualTo("\uFFFD\uFFFD\uFFFD");
        assertThat(t.piece(euro1)).isEqualTo("\uFFFD");
    }

    @Test
    void unpairedSurrogatesAreEncodedAsReplacementChar() {
        Tokenizer t = Cl100kVocabulary.tokenizer();
        assertThat(t.encode("x\uD800y")).containsExactly(t.encode("x\uFFFDy"));
        assertThat(t.decode(t.encode("\uDC00\uD83D"))).isEqualTo("\uFFFD\uFFFD");
        assertThat(t.decode(t.encode("\uD83D\uDE00"))).isEqualTo("\uD83D\uDE00");
    }

    @Test
    void outOfRangeIdsAreUserErrors() {
        Tokenizer t = Tokenizers.fromMetadata(abc(), "tiny");
        assertThatThrownBy(() -> t.decode(new int[] {5, 9999})).isInstanceOf(RsdException.class)
                .hasMessageContaining("9999").hasMessageContaining("tiny");
        assertThatThrownBy(() -> t.streamingDecoder().push(-1)).isInstanceOf(RsdException.class);
    }

    // ------------------------------------------------------------------ bad vocabularies

    private static void assertRejected(Map<String, Object> md, String... parts) {
        assertThatThrownBy(() -> Tokenizers.fromMetadata(md, "bad.gguf"))
                .isInstanceOf(RsdException.class)
                .hasMessageStartingWith("bad.gguf: ")
                .hasMessageContainingAll(parts)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void mergeNamingAnUnknownTokenIsRejected() {
        assertRejected(tiny(List.of("ab"), List.of("a b", "ab q"/* fine parts, "abq" unknown */)), "merge 1", "'ab q'",
                "produces unknown token 'abq'");
        assertRejected(tiny(List.of("ab"), List.of("a b", "xyz b")), "merge 1", "names unknown token 'xyz'");
        assertRejected(tiny(List.of("ab"), List.of("ab")), "merge 0", "not two tokens");
    }

    @Test
    void unknownPreTokenizerIsRejectedByName() {
        Map<String, Object> md = tiny(List.of(), List.of());
        md.put("tokenizer.ggml.pre", "qwen2");
        assertRejected(md, "'qwen2'", "tokenizer.ggml.pre");
    }

    @Test
    void nonBpeModelsAreRejected() {
        Map<String, Object> md = tiny(List.of(), List.of());
        md.put("tokenizer.ggml.model", "llama");
        assertRejected(md, "'llama'", "gpt2");
        md.remove("tokenizer.ggml.model");
        assertRejected(md, "tokenizer.ggml.model");
    }

    @Test
    void inconsistentListsAreRejected() {
        Map<String, Object> md = tiny(List.of(), List.of());
        md.put("tokenizer.ggml.token_type", List.of(1, 1, 1));
        assertRejected(md, "token_type has 3 entries", "258");

        Map<String, Object> noByte = tiny(List.of(), List.of());
        List<String> tokens = new ArrayList<>((List<String>) noByte.get("tokenizer.ggml.tokens"));
        tokens.set(0x41, "AA"); // the token for byte 'A' is gone
        noByte.put("tokenizer.ggml.tokens", tokens);
        assertRejected(noByte, "no token for byte 0x41");

        Map<String, Object> notBytes = tiny(List.of("\u4F60"), List.of());
        assertRejected(notBytes, "token 256", "not in byte-level BPE form");

        Map<String, Object> badId = tiny(List.of(), List.of());
        badId.put("tokenizer.ggml.bos_token_id", 300);
        assertRejected(badId, "bos_token_id = 300", "outside the vocabulary");

        Map<String, Object> wrongType = tiny(List.of(), List.of());
        wrongType.put("tokenizer.ggml.merges", "a b");
        assertRejected(wrongType, "tokenizer.ggml.merges", "array");
    }

    @Test
    void vocabSizeMustMatchTheEmbedding() {
        Tokenizer t = Tokenizers.fromMetadata(abc(), "tiny");
        int n = t.vocabSize();
        Tokenizers.validateVocabSize(t, n, "m.gguf");
        assertThatThrownBy(() -> Tokenizers.validateVocabSize(t, n + 28, "m.gguf")).isInstanceOf(RsdException.class)
                .hasMessageContainingAll("m.gguf", String.valueOf(n), String.valueOf(n + 28), "too short");
        assertThatThrownBy(() -> Tokenizers.validateVocabSize(t, n - 1, "m.gguf")).isInstanceOf(RsdException.class)
                .hasMessageContainingAll("m.gguf", String.valueOf(n - 1));
    }
}
