package rsd.server;

import java.util.ArrayList;
import java.util.List;
import rsd.tokenizer.Tokenizer;

/**
 * Turns chat messages into prompt ids in the Llama-3 instruct format:
 * {@code <|begin_of_text|>} then, per message, {@code <|start_header_id|>role<|end_header_id|>\n\ncontent<|eot_id|>},
 * then the open assistant header the model continues from. Message content is tokenized as plain text,
 * so a user who types {@code <|eot_id|>} gets those characters, never the control token. Content is
 * trimmed, as Meta's reference template does.
 */
final class ChatPrompt {
    record Message(String role, String content) {
    }

    private ChatPrompt() {
    }

    static int[] encode(Tokenizer tokenizer, List<Message> messages) {
        int start = tokenizer.idOf("<|start_header_id|>");
        int end = tokenizer.idOf("<|end_header_id|>");
        int eot = tokenizer.eot() >= 0 ? tokenizer.eot() : tokenizer.idOf("<|eot_id|>");
        if (start < 0 || end < 0 || eot < 0) {
            throw ApiException.invalid("messages",
                    "this model's tokenizer has no Llama-3 chat tokens (<|start_header_id|>, <|end_header_id|>, "
                            + "<|eot_id|>); use /v1/completions instead");
        }
        List<Integer> ids = new ArrayList<>();
        if (tokenizer.bos() >= 0) {
            ids.add(tokenizer.bos());
        }
        for (Message m : messages) {
            header(tokenizer, ids, start, end, m.role());
            add(ids, tokenizer.encode("\n\n" + m.content().strip()));
            ids.add(eot);
        }
        header(tokenizer, ids, start, end, "assistant");
        add(ids, tokenizer.encode("\n\n"));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void header(Tokenizer tokenizer, List<Integer> ids, int start, int end, String role) {
        ids.add(start);
        add(ids, tokenizer.encode(role));
        ids.add(end);
    }

    private static void add(List<Integer> ids, int[] more) {
        for (int id : more) {
            ids.add(id);
        }
    }
}
