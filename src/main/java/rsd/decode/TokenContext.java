package rsd.decode;

import java.util.Arrays;
import rsd.draft.DraftContext;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * The decoder's view for drafters: token ids and decoded text, appended to one accepted token at a time
 * (the context only ever grows, because it holds accepted tokens only). Special tokens such as BOS add no
 * text, so rules see the code and nothing else.
 */
final class TokenContext implements DraftContext {
    private final Tokenizer tokenizer;
    private final StreamingDecoder decoder;
    private final StringBuilder text = new StringBuilder();
    private final int promptLength;
    private int[] tokens;
    private int length;

    TokenContext(Tokenizer tokenizer, int[] prompt, int expectedTokens) {
        this.tokenizer = tokenizer;
        this.decoder = tokenizer.streamingDecoder();
        this.tokens = new int[Math.max(16, prompt.length + expectedTokens)];
        this.promptLength = prompt.length;
        for (int id : prompt) {
            append(id);
        }
    }

    void append(int id) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = id;
        if (!tokenizer.isSpecial(id)) {
            text.append(decoder.push(id));
        }
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public int token(int i) {
        if (i < 0 || i >= length) {
            throw new IndexOutOfBoundsException(i);
        }
        return tokens[i];
    }

    @Override
    public int[] lastTokens(int n) {
        int k = Math.min(Math.max(n, 0), length);
        return Arrays.copyOfRange(tokens, length - k, length);
    }

    @Override
    public int promptLength() {
        return promptLength;
    }

    @Override
    public CharSequence text() {
        return text;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }
}
