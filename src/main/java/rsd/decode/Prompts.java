package rsd.decode;

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
     * One user turn in the Llama-3 chat format, ending where the assistant's answer begins. The user's
     * text is encoded as plain text, so special-token names inside it cannot forge turns.
     */
    public static int[] llama3Chat(Tokenizer tokenizer, String userText) {
        int[] head = tokenizer.encode("<|start_header_id|>user<|end_header_id|>\n\n", true);
        int[] body = tokenizer.encode(userText);
        int[] tail = tokenizer.encode("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", true);
        int bos = tokenizer.bos() >= 0 ? 1 : 0;
        int[] out = new int[bos + head.length + body.length + tail.length];
        if (bos == 1) {
            out[0] = tokenizer.bos();
        }
        System.arraycopy(head, 0, out, bos, head.length);
        System.arraycopy(body, 0, out, bos + head.length, body.length);
        System.arraycopy(tail, 0, out, bos + head.length + body.length, tail.length);
        return out;
    }
}
