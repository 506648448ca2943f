package rsd.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A real byte-level BPE vocabulary for tests: OpenAI's cl100k_base (shipped inside the jtokkit test
 * dependency), which is exactly ids 0..99,999 of Llama 3, turned into GGUF-style metadata the way Llama 3's
 * own GGUF files were made, plus Llama 3.1's first eleven special tokens. Use {@link #tokenizer()} to get a
 * realistic tokenizer in any test (built once per JVM, about a second).
 *
 * <p>Ids: 0..100,255 are cl100k's ranks, then {@link #BEGIN_OF_TEXT} = 100256 ... {@link #PYTHON_TAG} = 100266
 * in Llama 3.1's order (Llama 3 numbers them from 128000). BOS is begin_of_text, EOS end_of_text; there is no
 * eot key, so the tokenizer must find {@code <|eot_id|>} by name.
 *
 * <p>How the merges are derived. tiktoken's BPE knows no merges: it repeatedly merges the adjacent pair whose
 * concatenation is the token of lowest rank (leftmost first). A merge list gives the same result if, for
 * every token T of rank r and every way to split T into two tokens A + B, it holds the merge "A B" with
 * priority r: then "is there a merge for (A, B) and which is best" has the same answer as "is A+B a token
 * and of what rank" for every pair BPE can ever meet. We therefore emit every split whose two parts are
 * tokens, ordered by the rank of the token they produce (the tokenizer's priority is the first index per
 * produced token, so the order inside one token's group does not matter). This is also how Hugging Face
 * converted Llama 3's tiktoken file.
 *
 * <p>The narrower rule "every split into two tokens that both rank below r" (the merges BPE training can
 * have made: 189,704 of the 233,378) is equivalent only if tiktoken's merge ranks never decrease along a
 * run, i.e. a part of rank above r never ends up next to a partner that completes a token of rank r. That
 * is not guaranteed by construction, so we ship every split, whose equivalence needs no argument. Measured
 * (not asserted): on cl100k the narrower list gives the same ids for all 100,256 tokens and for the whole
 * 224 MB test corpus, so the extra merges never decide anything in practice.
 */
public final class Cl100kVocabulary {
    public static final int CL100K_TOKENS = 100_256;
    public static final int BEGIN_OF_TEXT = 100_256;
    public static final int END_OF_TEXT = 100_257;
    public static final int START_HEADER = 100_262;
    public static final int END_HEADER = 100_263;
    public static final int EOM = 100_264;
    public static final int EOT = 100_265;
    public static final int PYTHON_TAG = 100_266;
    static final List<String> SPECIALS = List.of("<|begin_of_text|>", "<|end_of_text|>",
            "<|reserved_special_token_0|>", "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>",
            "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
            "<|eot_id|>", "<|python_tag|>");

    private static volatile Map<String, Object> metadata;
    private static volatile Tokenizer tokenizer;
    private static volatile BpeTokenizer cl100kRegex;
    private static volatile byte[][] ranked;

    private Cl100kVocabulary() {
    }

    /** cl100k_base's tokens as bytes, indexed by rank. */
    static byte[][] rankedTokens() {
        if (ranked == null) {
            synchronized (Cl100kVocabulary.class) {
                if (ranked == null) {
                    ranked = load();
                }
            }
        }
        return ranked;
    }

    private static byte[][] load() {
        String resource = "/com/knuddels/jtokkit/cl100k_base.tiktoken";
        byte[][] tokens = new byte[CL100K_TOKENS][];
        try (InputStream in = Cl100kVocabulary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " not on the test class path (jtokkit missing?)");
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                int sp = line.indexOf(' ');
                int rank = Integer.parseInt(line.substring(sp + 1));
                tokens[rank] = Base64.getDecoder().decode(line.substring(0, sp));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] == null) {
                throw new IllegalStateException("cl100k_base has no token of rank " + i);
            }
        }
        return tokens;
    }

    /** The GGUF-style metadata (unmodifiable; copy it to make broken variants). */
    public static Map<String, Object> metadata() {
        if (metadata == null) {
            synchronized (Cl100kVocabulary.class) {
                if (metadata == null) {
                    metadata = Collections.unmodifiableMap(build(false));
                }
            }
        }
        return metadata;
    }

    /** A tokenizer on this vocabulary with Llama 3's pre-tokenizer (llama-bpe). */
    public static Tokenizer tokenizer() {
        if (tokenizer == null) {
            synchronized (Cl100kVocabulary.class) {
                if (tokenizer == null) {
                    tokenizer = Tokenizers.fromMetadata(metadata(), "cl100k test vocabulary");
                }
            }
        }
        return tokenizer;
    }

    /** The same vocabulary with cl100k's own regex, run by java.util.regex: tiktoken's exact setup. */
    static BpeTokenizer withCl100kRegex() {
        if (cl100kRegex == null) {
            synchronized (Cl100kVocabulary.class) {
                if (cl100kRegex == null) {
                    cl100kRegex = BpeTokenizer.fromMetadata(metadata(), "cl100k test vocabulary",
                            PreTokenizer.regex(PreTokenizer.CL100K_PATTERN));
                }
            }
        }
        return cl100kRegex;
    }

    /**
     * Builds the metadata; with {@code onlyLowerRankParts}, keeps only the merges whose two parts both rank
     * below the token they make (for the test that shows those are not enough).
     */
    static Map<String, Object> build(boolean onlyLowerRankParts) {
        byte[][] tokens = rankedTokens();
        List<String> texts = new ArrayList<>(CL100K_TOKENS + SPECIALS.size());
        Map<String, Integer> rankOf = new HashMap<>(CL100K_TOKENS * 2);
        for (int r = 0; r < tokens.length; r++) {
            String t = ByteUnicode.toVocabText(tokens[r]);
            texts.add(t);
            rankOf.put(t, r);
        }
        List<String> merges = new ArrayList<>(CL100K_TOKENS * 3);
        for (int r = 0; r < tokens.length; r++) {
            String t = texts.get(r);
            for (int k = 1; k < t.length(); k++) {
                Integer left = rankOf.get(t.substring(0, k));
                Integer right = rankOf.get(t.substring(k));
                if (left != null && right != null && (!onlyLowerRankParts || (left < r && right < r))) {
                    merges.add(t.substring(0, k) + " " + t.substring(k));
                }
            }
        }
        List<Integer> types = new ArrayList<>(Collections.nCopies(CL100K_TOKENS, BpeTokenizer.TYPE_NORMAL));
        for (String s : SPECIALS) {
            texts.add(s);
            types.add(BpeTokenizer.TYPE_CONTROL);
        }
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", "llama");
        md.put("tokenizer.ggml.model", "gpt2");
        md.put("tokenizer.ggml.pre", "llama-bpe");
        md.put("tokenizer.ggml.tokens", List.copyOf(texts));
        md.put("tokenizer.ggml.token_type", List.copyOf(types));
        md.put("tokenizer.ggml.merges", List.copyOf(merges));
        md.put("tokenizer.ggml.bos_token_id", BEGIN_OF_TEXT);
        md.put("tokenizer.ggml.eos_token_id", (long) END_OF_TEXT); // GGUF uint32 may arrive as Long
        md.put("tokenizer.ggml.add_bos_token", true);
        return md;
    }
}
