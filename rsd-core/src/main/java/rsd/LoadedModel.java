package rsd;

import java.nio.file.Path;
import rsd.model.LanguageModel;
import rsd.model.LlamaModel;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Tokenizers;

/** A model file opened for generation: the network, its tokenizer, and where it came from. */
public record LoadedModel(LanguageModel model, Tokenizer tokenizer, Path path) implements AutoCloseable {
    /**
     * Where the shipped models live: {@code models/} of the rsd checkout. The launcher passes the checkout
     * as {@code -Drsd.home} so the defaults work from any working directory.
     */
    private static final Path HOME = Path.of(System.getProperty("rsd.home", "."));
    /** Where {@code rsd} looks for the embedded code model when no --model is given. */
    public static final Path DEFAULT_MODEL = HOME.resolve("models").resolve("rsd-code.gguf").normalize();
    /** The embedded draft model used by mode {@code draft}. */
    public static final Path DEFAULT_DRAFT_MODEL = HOME.resolve("models").resolve("rsd-code-draft.gguf").normalize();

    /**
     * Loads a GGUF model and the tokenizer described by its metadata.
     *
     * @param threads    compute threads
     * @param maxContext cap on the context length (0: the model's own)
     */
    public static LoadedModel open(Path path, int threads, int maxContext) {
        LlamaModel model = LlamaModel.load(path, threads, maxContext);
        try {
            Tokenizer tokenizer = Tokenizers.fromMetadata(model.gguf().metadata(), path.toString());
            Tokenizers.validateVocabSize(tokenizer, model.vocabSize(), path.toString());
            return new LoadedModel(model, tokenizer, path);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }

    @Override
    public void close() {
        model.close();
    }
}
