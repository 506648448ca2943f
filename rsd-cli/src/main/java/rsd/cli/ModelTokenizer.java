package rsd.cli;

import java.nio.file.Path;
import rsd.gguf.GgufFile;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Tokenizers;

/** Loads only the tokenizer of a GGUF model (its metadata), without touching the weights. */
final class ModelTokenizer {
    private ModelTokenizer() {
    }

    static Tokenizer load(Path model) {
        // Metadata values are plain Java objects copied out of the mapping, so the file can be closed at once.
        try (GgufFile gguf = GgufFile.open(model)) {
            return Tokenizers.fromMetadata(gguf.metadata(), model.toString());
        }
    }
}
