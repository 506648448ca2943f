package rsd.tokenizer;

import java.util.Map;
import rsd.error.RsdException;

/** Factory for tokenizers. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * Builds the tokenizer described by GGUF metadata ({@code tokenizer.ggml.*} keys). Metadata values are
     * as {@code rsd.gguf} returns them: Integer/Long/Float/Double/Boolean/String, arrays as java.util.List.
     * Only the metadata is read, so a vocabulary-only GGUF works too.
     *
     * @param source names the file in error messages
     * @throws RsdException if the vocabulary is not byte-level BPE, names an unknown pre-tokenizer, or is
     *         inconsistent (merges naming unknown tokens, ids out of range...)
     */
    public static Tokenizer fromMetadata(Map<String, Object> metadata, String source) {
        return BpeTokenizer.fromMetadata(metadata, source);
    }

    /**
     * Checks that the tokenizer and the model agree on the number of tokens: a token list shorter than the
     * embedding leaves ids the model can emit but nobody can decode; a longer one gives ids the model cannot
     * embed.
     *
     * @param embeddingRows rows of the model's token embedding (its vocabulary size)
     * @throws RsdException naming the source and both sizes when they differ
     */
    public static void validateVocabSize(Tokenizer tokenizer, int embeddingRows, String source) {
        int tokens = tokenizer.vocabSize();
        if (tokens < embeddingRows) {
            throw new RsdException(source + ": the token list has " + tokens + " tokens but the model's embedding has "
                    + embeddingRows + " rows (the token list is too short)");
        }
        if (tokens > embeddingRows) {
            throw new RsdException(source + ": the token list has " + tokens + " tokens but the model's embedding has only "
                    + embeddingRows + " rows");
        }
    }
}
