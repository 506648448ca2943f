package rsd.cli;

import java.nio.file.Path;
import rsd.RsdException;
import rsd.tokenizer.Tokenizer;

/** Loads only the tokenizer of a GGUF model (its metadata), without the weights. */
final class ModelTokenizer {
    private ModelTokenizer() {
    }

    static Tokenizer load(Path model) {
        // Replaced by the GGUF metadata reader as soon as rsd.gguf is on main.
        throw new RsdException("cannot read the tokenizer of " + model + ": GGUF support is not in this build yet");
    }
}
