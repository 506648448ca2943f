package rsd;

import java.nio.file.Path;
import rsd.model.LanguageModel;
import rsd.tokenizer.Tokenizer;

/** A model file opened for generation: the network, its tokenizer, and where it came from. */
public record LoadedModel(LanguageModel model, Tokenizer tokenizer, Path path) implements AutoCloseable {
    /** Where {@code rsd} looks for the embedded code model when no --model is given. */
    public static final Path DEFAULT_MODEL = Path.of("models", "rsd-code.gguf");
    /** The embedded draft model used by mode {@code draft}. */
    public static final Path DEFAULT_DRAFT_MODEL = Path.of("models", "rsd-code-draft.gguf");

    @Override
    public void close() {
        model.close();
    }
}
