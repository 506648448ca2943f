package rsd.decode;

import java.util.Arrays;
import rsd.tokenizer.Tokenizer;

/**
 * A {@link DraftContext} that grows one token at a time: the prompt, then every accepted token. Used to
 * replay text through drafters (pattern mining checks, offline acceptance measurements, tests).
 */
public final class GrowingContext implements DraftContext {
    private final Tokenizer tokenizer;
    private final int promptLength;
    private int[] tokens;
    private int length;
    private final StringBuilder text = new StringBuilder();
    private final java.io.ByteArrayOutputStream pendingBytes = new java.io.ByteArrayOutputStream();

    public GrowingContext(Tokenizer tokenizer, int[] prompt) {
        this.tokenizer = tokenizer;
        this.tokens = Arrays.copyOf(prompt, Math.max(16, prompt.length * 2));
        this.promptLength = prompt.length;
        for (int id : prompt) {
            appendText(id);
        }
        this.length = prompt.length;
    }

    /** Appends one token (its text becomes visible once its UTF-8 characters are complete). */
    public void add(int id) {
        if (length == tokens.length) {
            tokens = Arrays.copyOf(tokens, tokens.length * 2);
        }
        tokens[length++] = id;
        appendText(id);
    }

    private void appendText(int id) {
        if (tokenizer.isSpecial(id)) {
            return;
        }
        pendingBytes.writeBytes(tokenizer.tokenBytes(id));
        byte[] b = pendingBytes.toByteArray();
        int complete = completeUtf8Prefix(b);
        text.append(new String(b, 0, complete, java.nio.charset.StandardCharsets.UTF_8));
        pendingBytes.reset();
        pendingBytes.write(b, complete, b.length - complete);
    }

    /** Length of the longest prefix that does not end inside a multi-byte UTF-8 character. */
    private static int completeUtf8Prefix(byte[] b) {
        int i = b.length;
        int back = 0;
        while (i > 0 && back < 4 && (b[i - 1] & 0xC0) == 0x80) {
            i--;
            back++;
        }
        if (i == 0) {
            return b.length;
        }
        int lead = b[i - 1] & 0xFF;
        int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return need > back + 1 ? i - 1 : b.length;
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
        int k = Math.min(n, length);
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
