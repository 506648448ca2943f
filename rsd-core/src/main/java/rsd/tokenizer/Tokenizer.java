package rsd.tokenizer;

import java.util.HashSet;
import java.util.Set;

/**
 * Text to token ids and back, exactly as the model's own tokenizer does it. The real implementation is
 * byte-level BPE loaded from GGUF metadata ({@link Tokenizers#fromMetadata}).
 */
public interface Tokenizer {
    int vocabSize();

    /** Encodes plain text: a string such as "<|eot_id|>" in the text stays text, never a special token. */
    int[] encode(String text);

    /** Encodes text; with allowSpecial, the literal names of special tokens become those tokens. */
    int[] encode(String text, boolean allowSpecial);

    /** The raw bytes of one token (a special token gives its name's UTF-8 bytes). */
    byte[] tokenBytes(int id);

    /** The token's text, bytes decoded as UTF-8 with replacement for partial characters. */
    String piece(int id);

    /** The id of the token whose bytes are exactly the UTF-8 of {@code piece}, or -1 if none. */
    int idOf(String piece);

    /** Decodes ids to text (UTF-8 of the concatenated bytes, invalid sequences replaced by U+FFFD). */
    String decode(int[] ids);

    /** A decoder that takes ids one at a time and emits only complete UTF-8 characters. */
    StreamingDecoder streamingDecoder();

    /** Beginning-of-text id, or -1. */
    int bos();

    /** End-of-text id, or -1. */
    int eos();

    /** End-of-turn id (Llama 3 {@code <|eot_id|>}), or -1. */
    int eot();

    /** Whether a BOS token should start every prompt ({@code tokenizer.ggml.add_bos_token}). */
    boolean addBos();

    /** True for ids that end generation (end of text, end of turn). */
    boolean isEndOfGeneration(int id);

    /** True for control tokens (not plain text). */
    boolean isSpecial(int id);

    /**
     * The names that {@code encode(text, true)} turns into single tokens. By default the control tokens';
     * a tokenizer that also matches other names (user-defined tokens) says so here.
     */
    default Set<String> specialNames() {
        Set<String> names = new HashSet<>();
        for (int id = 0; id < vocabSize(); id++) {
            if (isSpecial(id)) {
                names.add(piece(id));
            }
        }
        return Set.copyOf(names);
    }
}
