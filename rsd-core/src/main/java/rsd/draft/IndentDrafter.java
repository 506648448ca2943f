package rsd.draft;

import java.util.Arrays;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.tokenizer.Tokenizer;

/**
 * The original RSD rule: at the start of a line, guess its indentation. After a line that opens a block
 * (ending in {@code :} for Python, {@code {} for C-family languages) the new line is one level deeper;
 * after any other line it keeps the same indentation. Blank lines are skipped when looking back.
 *
 * <p>Llama 3 writes an indentation of N spaces as ONE token of N-1 spaces, the last space joining the
 * next word ({@code "   " " return"}). So the guess is the whitespace-only tokens that begin the
 * encoding of "N spaces + word", precomputed for every width when the drafter is built ("space token
 * optimization"). Computing them through the tokenizer keeps the rule right for any BPE vocabulary.
 */
public final class IndentDrafter implements Drafter {
    public static final String NAME = "indent";
    static final int MAX_SPACES = 64;
    static final int MAX_TABS = 16;
    private static final int DEFAULT_UNIT = 4;

    private final int[][] spaceGuess = new int[MAX_SPACES + 1][];
    private final int[][] tabGuess = new int[MAX_TABS + 1][];

    public IndentDrafter(Tokenizer tokenizer) {
        for (int w = 1; w <= MAX_SPACES; w++) {
            spaceGuess[w] = whitespacePrefix(tokenizer, " ".repeat(w));
        }
        for (int w = 1; w <= MAX_TABS; w++) {
            tabGuess[w] = whitespacePrefix(tokenizer, "\t".repeat(w));
        }
    }

    /** The leading tokens of encode(indent + word) that hold whitespace only. */
    private static int[] whitespacePrefix(Tokenizer tokenizer, String indent) {
        int[] ids = tokenizer.encode(indent + "x");
        int k = 0;
        while (k < ids.length && tokenizer.piece(ids[k]).isBlank() && !tokenizer.piece(ids[k]).isEmpty()) {
            k++;
        }
        return Arrays.copyOf(ids, k);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        if (maxTokens <= 0) {
            return Draft.EMPTY;
        }
        int[] guess = guessFor(context.text());
        if (guess.length == 0) {
            return Draft.EMPTY;
        }
        return Draft.of(NAME, guess.length > maxTokens ? Arrays.copyOf(guess, maxTokens) : guess);
    }

    /** The indentation tokens expected at the start of the next line, or none. */
    int[] guessFor(CharSequence text) {
        int end = text.length();
        if (end == 0 || text.charAt(end - 1) != '\n') {
            return new int[0];
        }
        // Find the last line with any non-whitespace character.
        int lineEnd = end - 1;
        while (true) {
            int lineStart = lastIndexOf(text, '\n', lineEnd - 1) + 1;
            if (!isBlank(text, lineStart, lineEnd)) {
                return guessAfterLine(text, lineStart, lineEnd);
            }
            if (lineStart == 0) {
                return new int[0];
            }
            lineEnd = lineStart - 1;
        }
    }

    private int[] guessAfterLine(CharSequence text, int start, int end) {
        int spaces = 0;
        int tabs = 0;
        int i = start;
        while (i < end && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            if (text.charAt(i) == ' ') {
                spaces++;
            } else {
                tabs++;
            }
            i++;
        }
        int last = end - 1;
        while (last > i && Character.isWhitespace(text.charAt(last))) {
            last--;
        }
        char c = text.charAt(last);
        boolean comment = text.charAt(i) == '#' || (text.charAt(i) == '/' && i + 1 < end && text.charAt(i + 1) == '/');
        boolean opensBlock = !comment && (c == ':' || c == '{');
        if (tabs > 0 && spaces == 0) {
            int width = tabs + (opensBlock ? 1 : 0);
            return width <= MAX_TABS ? tabGuess[width] : new int[0];
        }
        if (tabs > 0) {
            return new int[0]; // mixed indentation: no confident guess
        }
        if (spaces == 0 && !opensBlock) {
            return new int[0];
        }
        int width = spaces + (opensBlock ? (spaces == 0 && usesTabs(text) ? -1 : unit(text)) : 0);
        if (width < 0) {
            return tabGuess[1];
        }
        return width >= 1 && width <= MAX_SPACES ? spaceGuess[width] : new int[0];
    }

    /** The indentation step used so far: the smallest non-zero leading-space width seen, else 4. */
    static int unit(CharSequence text) {
        int best = Integer.MAX_VALUE;
        int lineStart = 0;
        int n = text.length();
        while (lineStart < n) {
            int w = 0;
            while (lineStart + w < n && text.charAt(lineStart + w) == ' ') {
                w++;
            }
            int after = lineStart + w;
            if (w > 0 && after < n && !Character.isWhitespace(text.charAt(after)) && w < best) {
                best = w;
            }
            int nl = indexOf(text, '\n', after);
            if (nl < 0) {
                break;
            }
            lineStart = nl + 1;
        }
        return best == Integer.MAX_VALUE || best > 8 ? DEFAULT_UNIT : best;
    }

    private static boolean usesTabs(CharSequence text) {
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) == '\t' && text.charAt(i - 1) == '\n') {
                return true;
            }
        }
        return false;
    }

    private static boolean isBlank(CharSequence text, int from, int to) {
        for (int i = from; i < to; i++) {
            if (!Character.isWhitespace(text.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static int lastIndexOf(CharSequence text, char c, int from) {
        for (int i = from; i >= 0; i--) {
            if (text.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    private static int indexOf(CharSequence text, char c, int from) {
        for (int i = from; i < text.length(); i++) {
            if (text.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }
}
