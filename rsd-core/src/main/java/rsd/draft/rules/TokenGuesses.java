package rsd.draft.rules;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import rsd.decode.DraftContext;
import rsd.tokenizer.Tokenizer;

/**
 * Turns guessed TEXT into the exact token ids the model would see, by asking the tokenizer. Rules never
 * assume ids: Llama 3 merges punctuation with the newline after it, joins the last indentation space to
 * the next word and splits digits from spaces, so a guess is only emitted up to a clean cut: the recent
 * context text + guess + a plausible lookahead is re-tokenized, the cut before the guess must fall exactly
 * after the context's last token, and only tokens that end inside the guess are kept.
 */
public final class TokenGuesses {
    /** How many context tokens are re-tokenized together with the guess (enough for any merge). */
    static final int TAIL_TOKENS = 4;
    private static final int[] NONE = new int[0];

    private TokenGuesses() {
    }

    /** Recent encodings: the same line endings and indentations come back again and again. */
    private static final int CACHE_SIZE = 1024;
    private static final ThreadLocal<Cache> CACHE = ThreadLocal.withInitial(Cache::new);

    private static final class Cache extends java.util.LinkedHashMap<String, int[]> {
        Tokenizer tokenizer;

        Cache() {
            super(CACHE_SIZE * 2, 0.75f, true);
        }

        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, int[]> eldest) {
            return size() > CACHE_SIZE;
        }
    }

    private static int[] encodeCached(Tokenizer tokenizer, String text) {
        Cache cache = CACHE.get();
        if (cache.tokenizer != tokenizer) {
            cache.clear();
            cache.tokenizer = tokenizer;
        }
        int[] ids = cache.get(text);
        if (ids == null) {
            ids = tokenizer.encode(text);
            cache.put(text, ids);
        }
        return ids;
    }

    /**
     * The tokens of {@code guess} when it follows the context and is itself followed by {@code lookahead}
     * (not emitted; it only decides where the last guessed token ends). Empty when the context's last
     * token would merge with the guess, or when no whole token fits in the guess.
     */
    public static int[] after(DraftContext context, String guess, String lookahead) {
        int n = context.length();
        if (n == 0 || guess.isEmpty()) {
            return NONE;
        }
        Tokenizer tokenizer = context.tokenizer();
        ByteArrayOutputStream tail = new ByteArrayOutputStream();
        for (int i = Math.max(0, n - TAIL_TOKENS); i < n; i++) {
            int id = context.token(i);
            if (tokenizer.isSpecial(id)) {
                tail.reset(); // text never merges across a control token
            } else {
                tail.writeBytes(tokenizer.tokenBytes(id));
            }
        }
        byte[] tailBytes = tail.toByteArray();
        if (tailBytes.length == 0 || tokenizer.isSpecial(context.token(n - 1))) {
            return NONE;
        }
        String tailText = new String(tailBytes, StandardCharsets.UTF_8);
        if (!Arrays.equals(tailText.getBytes(StandardCharsets.UTF_8), tailBytes)) {
            return NONE; // the tail starts inside a multi-byte character; such contexts are not code
        }
        int guessEnd = tailBytes.length + guess.getBytes(StandardCharsets.UTF_8).length;
        int[] encoded = encodeCached(tokenizer, tailText + guess + lookahead);
        int offset = 0;
        int i = 0;
        while (i < encoded.length && offset < tailBytes.length) {
            offset += tokenizer.tokenBytes(encoded[i++]).length;
        }
        if (offset != tailBytes.length || encoded[i - 1] != context.token(n - 1)) {
            return NONE;
        }
        int start = i;
        while (i < encoded.length) {
            int len = tokenizer.tokenBytes(encoded[i]).length;
            if (offset + len > guessEnd) {
                break;
            }
            offset += len;
            i++;
        }
        return Arrays.copyOfRange(encoded, start, i);
    }
}
