package rsd.tokenizer;

/**
 * A hand-written scanner with exactly the meaning of {@link PreTokenizer#LLAMA3_PATTERN} (and so of
 * {@link PreTokenizer#CL100K_PATTERN}, which differs only in notation: its possessive quantifiers never
 * change a match because what follows them cannot match what they gave up, and {@code \s*[\r\n]} ends
 * at the same place as {@code \s*[\r\n]+}, namely after the last newline of the whitespace run). It is
 * several times faster than java.util.regex; tests compare the two on random text and on real code.
 *
 * <p>The alternatives, tried in order at each position (the first that matches wins):
 * <ol>
 * <li>{@code (?i:'s|'t|'re|'ve|'m|'ll|'d)} contractions (Unicode case folding, so the long s 'ſ' counts);
 * <li>{@code [^\r\n\p{L}\p{N}]?\p{L}+} a word with at most one leading non-letter (" word", "(word");
 * <li>{@code \p{N}{1,3}} up to three digits;
 * <li>{@code  ?[^\s\p{L}\p{N}]+[\r\n]*} punctuation with an optional leading space and trailing newlines;
 * <li>{@code \s*[\r\n]+} whitespace up to and including its last newline;
 * <li>{@code \s+(?!\S)} whitespace not followed by a non-space: the whole run at the end of the text,
 *     otherwise the run less its last char (which then starts the next pre-token);
 * <li>{@code \s+} a single whitespace char left before a non-space.
 * </ol>
 */
final class Llama3Splitter implements PreTokenizer {
    static final Llama3Splitter INSTANCE = new Llama3Splitter();

    private static final byte LETTER = 1;
    private static final byte NUMBER = 2;
    private static final byte SPACE = 3;   // \s other than \r and \n
    private static final byte NEWLINE = 4; // \r or \n
    private static final byte OTHER = 5;   // [^\s\p{L}\p{N}]
    private static final byte[] ASCII = new byte[128];

    static {
        for (int c = 0; c < 128; c++) {
            ASCII[c] = slowClass(c);
        }
    }

    private Llama3Splitter() {
    }

    private static byte slowClass(int cp) {
        if (cp == '\r' || cp == '\n') {
            return NEWLINE;
        }
        if (isWhiteSpace(cp)) {
            return SPACE;
        }
        return switch (Character.getType(cp)) {
            case Character.UPPERCASE_LETTER, Character.LOWERCASE_LETTER, Character.TITLECASE_LETTER,
                 Character.MODIFIER_LETTER, Character.OTHER_LETTER -> LETTER;
            case Character.DECIMAL_DIGIT_NUMBER, Character.LETTER_NUMBER, Character.OTHER_NUMBER -> NUMBER;
            default -> OTHER;
        };
    }

    /** Unicode's White_Space property, which is what \s means under UNICODE_CHARACTER_CLASS. */
    static boolean isWhiteSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F
                || cp == 0x205F || cp == 0x3000;
    }

    private static byte classOf(int cp) {
        return cp < 128 ? ASCII[cp] : slowClass(cp);
    }

    /** The ASCII letter a char matches case-insensitively in a contraction, or 0. */
    private static char fold(char c) {
        if (c >= 'A' && c <= 'Z') {
            return (char) (c + 32);
        }
        if (c >= 'a' && c <= 'z') {
            return c;
        }
        return c == '\u017F' ? 's' : 0; // LATIN SMALL LETTER LONG S upper-cases to 'S'
    }

    /** Length of a contraction starting with the apostrophe at i, or 0. */
    private static int contraction(String s, int i, int end) {
        if (i + 1 >= end) {
            return 0;
        }
        char a = fold(s.charAt(i + 1));
        if (a == 's' || a == 't' || a == 'm' || a == 'd') {
            return 2;
        }
        if (i + 2 >= end) {
            return 0;
        }
        char b = fold(s.charAt(i + 2));
        if ((a == 'l' && b == 'l') || (a == 'v' && b == 'e') || (a == 'r' && b == 'e')) {
            return 3;
        }
        return 0;
    }

    @Override
    public void split(String s, int start, int end, Sink sink) {
        int i = start;
        while (i < end) {
            int c0 = s.codePointAt(i);
            if (c0 == '\'') {
                int n = contraction(s, i, end);
                if (n > 0) {
                    sink.piece(i, i + n);
                    i += n;
                    continue;
                }
            }
            byte k0 = classOf(c0);
            int n0 = Character.charCount(c0);
            int next = i + n0;
            // 2) a letter run, possibly behind one char that is neither newline, letter nor number
            if (k0 == LETTER || ((k0 == SPACE || k0 == OTHER) && next < end && classOf(s.codePointAt(next)) == LETTER)) {
                int j = k0 == LETTER ? next : next + Character.charCount(s.codePointAt(next));
                j = skip(s, j, end, LETTER);
                sink.piece(i, j);
                i = j;
                continue;
            }
            // 3) one to three numbers
            if (k0 == NUMBER) {
                int j = next;
                for (int k = 1; k < 3 && j < end; k++) {
                    int c = s.codePointAt(j);
                    if (classOf(c) != NUMBER) {
                        break;
                    }
                    j += Character.charCount(c);
                }
                sink.piece(i, j);
                i = j;
                continue;
            }
            // 4) punctuation, optionally behind one space, then any newlines
            if (k0 == OTHER || (c0 == ' ' && next < end && classOf(s.codePointAt(next)) == OTHER)) {
                int j = skip(s, next, end, OTHER);
                while (j < end && (s.charAt(j) == '\r' || s.charAt(j) == '\n')) {
                    j++;
                }
                sink.piece(i, j);
                i = j;
                continue;
            }
            // 5-7) whitespace (all White_Space chars are in the BMP, so one char each)
            int j = i;
            int lastNewline = -1;
            while (j < end) {
                byte k = classOf(s.charAt(j));
                if (k == NEWLINE) {
                    lastNewline = j;
                } else if (k != SPACE) {
                    break;
                }
                j++;
            }
            if (lastNewline >= 0) {
                j = lastNewline + 1;                       // 5)
            } else if (j < end && j - i >= 2) {
                j--;                                       // 6) leave the last space to the next pre-token
            }                                              // otherwise 6) at the end of text, or 7)
            sink.piece(i, j);
            i = j;
        }
    }

    private static int skip(String s, int j, int end, byte kind) {
        while (j < end) {
            char c = s.charAt(j);
            if (c < 128) {
                if (ASCII[c] != kind) {
                    return j;
                }
                j++;
            } else {
                int cp = s.codePointAt(j);
                if (slowClass(cp) != kind) {
                    return j;
                }
                j += Character.charCount(cp);
            }
        }
        return j;
    }
}
