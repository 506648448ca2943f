package rsd.tokenizer;

import java.util.List;
import rsd.error.RsdException;

/**
 * The Llama-3 Instruct prompt format, as Meta's reference code builds it:
 * <pre>
 * &lt;|begin_of_text|&gt;&lt;|start_header_id|&gt;system&lt;|end_header_id|&gt;\n\n{system}&lt;|eot_id|&gt;
 * &lt;|start_header_id|&gt;user&lt;|end_header_id|&gt;\n\n{user}&lt;|eot_id|&gt;
 * &lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n
 * </pre>
 * (without the line breaks). Contents are stripped of surrounding whitespace, as the reference does.
 * Role and content are plain text: a "&lt;|eot_id|&gt;" typed by a user stays text.
 */
public final class ChatFormat {
    /** One turn of a dialog; role is usually "system", "user" or "assistant". */
    public record Message(String role, String content) {
        public Message {
            if (role == null || role.isBlank()) {
                throw new RsdException("a chat message needs a role (system, user or assistant)");
            }
            if (content == null) {
                throw new RsdException("chat message with role '" + role + "' has no content");
            }
        }
    }

    private final Tokenizer tokenizer;
    private final int beginOfText;
    private final int startHeader;
    private final int endHeader;
    private final int endOfTurn;

    /** @throws RsdException if the vocabulary lacks the Llama-3 chat tokens */
    public ChatFormat(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
        this.beginOfText = tokenizer.bos() >= 0 ? tokenizer.bos() : special(tokenizer, "<|begin_of_text|>");
        this.startHeader = special(tokenizer, "<|start_header_id|>");
        this.endHeader = special(tokenizer, "<|end_header_id|>");
        this.endOfTurn = tokenizer.eot() >= 0 ? tokenizer.eot() : special(tokenizer, "<|eot_id|>");
    }

    private static int special(Tokenizer t, String name) {
        int id = t.idOf(name);
        if (id < 0 || !t.isSpecial(id)) {
            throw new RsdException("the model's vocabulary has no " + name
                    + " token, so it does not use the Llama-3 chat format");
        }
        return id;
    }

    /** {@code <|start_header_id|>role<|end_header_id|>\n\n} */
    public int[] encodeHeader(Message message) {
        IntList out = new IntList(8);
        header(message.role(), out);
        return out.toArray();
    }

    /** The header, the stripped content, then {@code <|eot_id|>}. */
    public int[] encodeMessage(Message message) {
        IntList out = new IntList(16);
        message(message, out);
        return out.toArray();
    }

    /** BOS, every message, then the assistant header the model continues from. */
    public int[] encodeDialogPrompt(List<Message> dialog) {
        IntList out = new IntList(64);
        out.add(beginOfText);
        for (Message m : dialog) {
            message(m, out);
        }
        header("assistant", out);
        return out.toArray();
    }

    /** The end-of-turn token that closes each message. */
    public int endOfTurn() {
        return endOfTurn;
    }

    private void header(String role, IntList out) {
        out.add(startHeader);
        out.addAll(tokenizer.encode(role));
        out.add(endHeader);
        out.addAll(tokenizer.encode("\n\n"));
    }

    private void message(Message m, IntList out) {
        header(m.role(), out);
        out.addAll(tokenizer.encode(m.content().strip()));
        out.add(endOfTurn);
    }
}
