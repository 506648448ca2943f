package rsd.tokenizer;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Cuts text into pre-tokens; BPE then runs inside each pre-token separately, so no token ever spans two
 * of them.
 */
interface PreTokenizer {
    /** Receives one pre-token as the char range [start, end) of the text. */
    interface Sink {
        void piece(int start, int end);
    }

    /** Splits text[start, end) as if it were the whole text (look-ahead does not see past end). */
    void split(String text, int start, int end, Sink sink);

    /** Llama 3's pattern ({@code tokenizer.ggml.pre} = llama-bpe). */
    String LLAMA3_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

    /** OpenAI's cl100k_base pattern as tiktoken ships it. */
    String CL100K_PATTERN = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}"
            + "| ?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";

    /** GPT-2's pattern ({@code tokenizer.ggml.pre} = gpt2 or absent). */
    String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /**
     * Compiles a pattern with the meaning the tokenizers' reference implementations (Rust regex in
     * tiktoken and HF tokenizers) give it: \s is Unicode White_Space, not just ASCII, and (?i) folds case
     * the Unicode way.
     */
    static Pattern compile(String pattern) {
        return Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /** A pre-tokenizer that runs a java.util.regex pattern. */
    static PreTokenizer regex(String pattern) {
        Pattern p = compile(pattern);
        return (text, start, end, sink) -> {
            Matcher m = p.matcher(text);
            m.region(start, end); // opaque bounds: (?!\S) sees the region end as the end of the text
            while (m.find()) {
                sink.piece(m.start(), m.end());
            }
        };
    }
}
