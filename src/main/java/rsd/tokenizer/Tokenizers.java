package rsd.tokenizer;

import java.util.Map;

/** Factory for tokenizers. */
public final class Tokenizers {
    private Tokenizers() {
    }

    /**
     * Builds the tokenizer described by GGUF metadata ({@code tokenizer.ggml.*} keys). Metadata values are
     * as {@code rsd.gguf} returns them: Integer/Long/Float/Double/Boolean/String, arrays as java.util.List.
     *
     * @param source names the file in error messages
     */
    public static Tokenizer fromMetadata(Map<String, Object> metadata, String source) {
        throw new UnsupportedOperationException("tokenizer not implemented yet");
    }
}
