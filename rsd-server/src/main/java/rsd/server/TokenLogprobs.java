package rsd.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import rsd.decode.LogitsListener;
import rsd.decode.TokenListener;
import rsd.tokenizer.Tokenizer;

/**
 * Collects each emitted token's log-probability and its {@code top} most likely alternatives, from the
 * target model's logits at that position (temperature 1, before any top-k / top-p cut: the model's own
 * distribution, as OpenAI reports it), and passes the tokens on to a streaming listener if any. Runs on
 * the decoding thread; the handler reads it after the generation has ended.
 */
final class TokenLogprobs implements LogitsListener {
    /** What JSON gets for a log-probability of minus infinity (a masked token), as OpenAI does. */
    static final double FLOOR = -9999.0;

    record Entry(int id, double logprob, int[] topIds, double[] topLogprobs) {
    }

    private final int top;
    private final TokenListener next;
    private final List<Entry> entries = new ArrayList<>();
    private int taken;

    TokenLogprobs(int top, TokenListener next) {
        this.top = top;
        this.next = next;
    }

    @Override
    public synchronized void onLogits(int id, float[] logits) {
        entries.add(entry(id, logits, top));
    }

    @Override
    public void onToken(int id, String text, boolean fromGuess) {
        if (next != null) {
            next.onToken(id, text, fromGuess);
        }
    }

    /** The entries not handed out yet (for the next streamed chunk). */
    synchronized List<Entry> takeNew() {
        List<Entry> out = List.copyOf(entries.subList(taken, entries.size()));
        taken = entries.size();
        return out;
    }

    synchronized List<Entry> all() {
        return List.copyOf(entries);
    }

    /** log softmax at {@code id} and at the {@code top} largest logits (ties: lower id first). */
    static Entry entry(int id, float[] logits, int top) {
        float max = Float.NEGATIVE_INFINITY;
        for (float v : logits) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : logits) {
            sum += Math.exp((double) v - max);
        }
        double logZ = max + Math.log(sum);
        int k = Math.min(top, logits.length);
        int[] ids = new int[k];
        double[] lps = new double[k];
        int filled = 0;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i];
            if (filled == k && (k == 0 || v <= logits[ids[k - 1]])) {
                continue;
            }
            int at = filled < k ? filled++ : k - 1;
            while (at > 0 && logits[ids[at - 1]] < v) {
                ids[at] = ids[at - 1];
                at--;
            }
            ids[at] = i;
        }
        for (int i = 0; i < k; i++) {
            lps[i] = logits[ids[i]] - logZ;
        }
        return new Entry(id, logits[id] - logZ, ids, lps);
    }

    static double finite(double logprob) {
        return Double.isFinite(logprob) ? logprob : FLOOR;
    }

    static String text(Tokenizer tokenizer, int id) {
        return new String(tokenizer.tokenBytes(id), StandardCharsets.UTF_8);
    }

    /** Completions' shape: parallel arrays, text offsets counted from {@code offset}. */
    static ObjectNode completionShape(Tokenizer tokenizer, List<Entry> entries, boolean withTop, int offset) {
        ObjectNode o = OpenAiServer.JSON.createObjectNode();
        ArrayNode tokens = o.putArray("tokens");
        ArrayNode logprobs = o.putArray("token_logprobs");
        ArrayNode tops = o.putArray("top_logprobs");
        ArrayNode offsets = o.putArray("text_offset");
        for (Entry e : entries) {
            String t = text(tokenizer, e.id());
            tokens.add(t);
            logprobs.add(finite(e.logprob()));
            if (withTop) {
                ObjectNode alternatives = tops.addObject();
                for (int i = 0; i < e.topIds().length; i++) {
                    String name = text(tokenizer, e.topIds()[i]);
                    if (!alternatives.has(name)) { // two ids can decode to the same text (partial UTF-8)
                        alternatives.put(name, finite(e.topLogprobs()[i]));
                    }
                }
            } else {
                tops.addNull();
            }
            offsets.add(offset);
            offset += t.length();
        }
        return o;
    }

    /** Chat's shape: one object per token with its bytes and alternatives. */
    static ObjectNode chatShape(Tokenizer tokenizer, List<Entry> entries) {
        ObjectNode o = OpenAiServer.JSON.createObjectNode();
        ArrayNode content = o.putArray("content");
        for (Entry e : entries) {
            ObjectNode t = token(content.addObject(), tokenizer, e.id(), e.logprob());
            ArrayNode tops = t.putArray("top_logprobs");
            for (int i = 0; i < e.topIds().length; i++) {
                token(tops.addObject(), tokenizer, e.topIds()[i], e.topLogprobs()[i]);
            }
        }
        o.putNull("refusal");
        return o;
    }

    private static ObjectNode token(ObjectNode t, Tokenizer tokenizer, int id, double logprob) {
        t.put("token", text(tokenizer, id));
        t.put("logprob", finite(logprob));
        ArrayNode bytes = t.putArray("bytes");
        for (byte b : tokenizer.tokenBytes(id)) {
            bytes.add(b & 0xff);
        }
        return t;
    }
}
