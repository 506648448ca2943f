package rsd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;
import rsd.LoadedModel;
import rsd.error.RsdException;
import rsd.tokenizer.ChatTemplate;

/** {@code --chat-template FILE}: the Jinja template chat prompts are formatted with, instead of the model's own. */
final class ChatTemplateOption {
    @Option(names = {"--chat-template", "--chat-template-file"}, paramLabel = "FILE", description = "a Jinja chat "
            + "template file (as in a Hugging Face tokenizer_config.json) to format chats with instead of the model's "
            + "tokenizer.chat_template (default: the model's, else the built-in Llama 3 format)")
    Path file;

    /** Refuses a missing template file before any model is loaded. */
    void validate() {
        if (file != null && !Files.isRegularFile(file)) {
            throw new RsdException("--chat-template " + file + (Files.isDirectory(file) ? " is a folder" : " not found")
                    + "; pass a Jinja template file");
        }
    }

    /** The template given, else the model's own, else the built-in format. */
    ChatTemplate resolve(LoadedModel model) {
        return file != null ? ChatTemplate.fromFile(model.tokenizer(), file) : model.chatTemplate();
    }
}
