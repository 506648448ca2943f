package rsd.decode;

import java.util.List;
import rsd.tokenizer.ChatFormat;
import rsd.tokenizer.ChatTemplate;
import rsd.tokenizer.Tokenizer;

/** Turns prompt text into the ids a generation starts from. */
public final class Prompts {
    private Prompts() {
    }

    /** Plain completion: BOS (when the model wants one) then the text, special names kept as text. */
    public static int[] completion(Tokenizer tokenizer, String text) {
        int[] ids = tokenizer.encode(text);
        if (tokenizer.addBos() && tokenizer.bos() >= 0) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = tokenizer.bos();
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    /**
     * One user turn in the built-in Llama-3 chat format ({@link ChatTemplate#builtIn}), ending where the
     * assistant's answer begins; a model's own template is {@code LoadedModel.chatTemplate()}. The user's
     * text is encoded as plain text, so special-token names inside it cannot forge turns. A model
     * without the chat tokens is a user error.
     */
    public static int[] llama3Chat(Tokenizer tokenizer, String userText) {
        return ChatTemplate.builtIn(tokenizer).encodeDialogPrompt(List.of(new ChatFormat.Message("user", userText)));
    }
}
