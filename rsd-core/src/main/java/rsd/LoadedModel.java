package rsd;

import java.nio.file.Path;
import rsd.error.RsdException;
import rsd.model.LanguageModel;
import rsd.model.LlamaModel;
import rsd.tokenizer.ChatTemplate;
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

    /**
     * How chat prompts for this model are formatted: its own {@code tokenizer.chat_template} when the file
     * has one, else the built-in Llama-3 format.
     *
     * @throws RsdException when the file's template does not parse, or when it has none and the vocabulary
     *         lacks the Llama-3 chat tokens
     */
    public ChatTemplate chatTemplate() {
        if (model instanceof LlamaModel llama) {
            return ChatTemplate.forModel(tokenizer, llama.gguf().metadata(), path.toString());
        }
        return ChatTemplate.builtIn(tokenizer);
    }

    /** Whether the file carries a chat template of its own ({@code tokenizer.chat_template}). */
    public boolean hasOwnChatTemplate() {
        return model instanceof LlamaModel llama && llama.gguf().metadata().get(ChatTemplate.METADATA_KEY) != null;
    }

    @Override
    public void close() {
        model.close();
    }
}
