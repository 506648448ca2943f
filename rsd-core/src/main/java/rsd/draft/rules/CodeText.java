package rsd.draft.rules;

/** Small, allocation-light views of the decoded context that the rules share. */
final class CodeText {
    /** How far back the rules look for language and indentation style (characters). */
    static final int WINDOW = 4000;

    enum Language { PYTHON, C_FAMILY }

    private CodeText() {
    }

    /** The text after the last newline (the line being written). */
    static String currentLine(CharSequence text) {
        int end = text.length();
        int start = end;
        while (start > 0 && text.charAt(start - 1) != '\n') {
            start--;
        }
        return text.subSequence(start, end).toString();
    }

    /**
     * When the text ends with a newline: the last line that is not blank, else null. Also null when the
     * text does not end with a newline.
     */
    static String lastFinishedLine(CharSequence text) {
        int end = text.length();
        if (end == 0 || text.charAt(end - 1) != '\n') {
            return null;
        }
        int limit = Math.max(0, end - WINDOW);
        while (end > limit) {
            int lineEnd = end - 1; // index of the newline
            int start = lineEnd;
            while (start > 0 && text.charAt(start - 1) != '\n') {
                start--;
            }
            String line = text.subSequence(start, lineEnd).toString();
            if (!line.isBlank()) {
                return line;
            }
            end = start;
        }
        return null;
    }

    /** Whether the text ends with a blank line (two newlines with only spaces between). */
    static boolean endsWithBlankLine(CharSequence text) {
        int i = text.length() - 1;
        if (i < 0 || text.charAt(i) != '\n') {
            return false;
        }
        i--;
        while (i >= 0 && (text.charAt(i) == ' ' || text.charAt(i) == '\t')) {
            i--;
        }
        return i >= 0 && text.charAt(i) == '\n';
    }

    /** The leading whitespace of a line. */
    static String indentation(String line) {
        int i = 0;
        while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
            i++;
        }
        return line.substring(0, i);
    }

    /** The line without its leading whitespace and without a trailing comment or whitespace. */
    static String code(String line) {
        String s = line.strip();
        int hash = commentStart(s);
        if (hash >= 0) {
            s = s.substring(0, hash).strip();
        }
        return s;
    }

    /** Index of a '#' (Python) or '//' comment outside string literals, or -1. */
    private static int commentStart(String s) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '#' || (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '/')) {
                return i;
            }
        }
        return -1;
    }

    /** The first word of a code line ("return", "def", ...), or "". */
    static String firstWord(String code) {
        int i = 0;
        while (i < code.length() && (Character.isLetterOrDigit(code.charAt(i)) || code.charAt(i) == '_')) {
            i++;
        }
        return code.substring(0, i);
    }

    /**
     * Python unless the recent text looks like C-family code (braces and semicolons at line ends
     * outnumber colons at line ends).
     */
    static Language language(CharSequence text) {
        return facts(text).language;
    }

    private static Language scanLanguage(CharSequence text) {
        int start = Math.max(0, text.length() - WINDOW);
        int python = 0;
        int cFamily = 0;
        for (int i = start + 1; i < text.length(); i++) {
            if (text.charAt(i) != '\n') {
                continue;
            }
            char prev = text.charAt(i - 1);
            if (prev == ':') {
                python++;
            } else if (prev == '{' || prev == ';' || prev == '}') {
                cFamily++;
            }
        }
        return cFamily > python ? Language.C_FAMILY : Language.PYTHON;
    }

    /**
     * One indentation step as used in the recent text: a tab when lines are tab-indented, else the
     * smallest increase of leading spaces between consecutive lines (4 when none is seen).
     */
    static String indentUnit(CharSequence text) {
        return facts(text).indentUnit;
    }

    private static String scanIndentUnit(CharSequence text) {
        int start = Math.max(0, text.length() - WINDOW);
        int previous = -1;
        int unit = Integer.MAX_VALUE;
        int lineStart = start;
        for (int i = start; i <= text.length(); i++) {
            if (i < text.length() && text.charAt(i) != '\n') {
                continue;
            }
            if (lineStart < i) {
                char first = text.charAt(lineStart);
                if (first == '\t') {
                    return "\t";
                }
                int spaces = 0;
                while (lineStart + spaces < i && text.charAt(lineStart + spaces) == ' ') {
                    spaces++;
                }
                if (lineStart + spaces < i) { // not blank
                    if (previous >= 0 && spaces > previous && spaces - previous < unit) {
                        unit = spaces - previous;
                    }
                    previous = spaces;
                }
            }
            lineStart = i + 1;
        }
        return " ".repeat(unit == Integer.MAX_VALUE || unit > 8 ? 4 : unit);
    }

    /** The indentation one step shallower, or null at column 0. */
    static String dedent(String indentation, String unit) {
        if (indentation.isEmpty()) {
            return null;
        }
        if (indentation.endsWith(unit)) {
            return indentation.substring(0, indentation.length() - unit.length());
        }
        return null;
    }

    /**
     * Open brackets (in order) and an unclosed quote character of a line: result[0] the open brackets,
     * result[1] the quote ("" if none). Triple-quoted strings are treated as closed.
     */
    static String[] openBrackets(String line) {
        StringBuilder stack = new StringBuilder();
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == '\\') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            switch (c) {
                case '"', '\'' -> {
                    if (line.startsWith(String.valueOf(c).repeat(3), i)) {
                        int close = line.indexOf(String.valueOf(c).repeat(3), i + 3);
                        if (close < 0) {
                            return new String[] {stack.toString(), String.valueOf(c).repeat(3)};
                        }
                        i = close + 2;
                    } else {
                        quote = c;
                    }
                }
                case '(', '[', '{' -> stack.append(c);
                case ')', ']', '}' -> {
                    if (!stack.isEmpty()) {
                        stack.setLength(stack.length() - 1);
                    }
                }
                case '#' -> {
                    return new String[] {stack.toString(), ""};
                }
                default -> {
                }
            }
        }
        return new String[] {stack.toString(), quote == 0 ? "" : String.valueOf(quote)};
    }

    static char closer(char open) {
        return switch (open) {
            case '(' -> ')';
            case '[' -> ']';
            default -> '}';
        };
    }

    /** Whether the text ends inside an open triple-quoted string, and which quote opened it (else null). */
    static String openTripleQuote(CharSequence text) {
        Facts f = facts(text);
        return f.openQuote;
    }

    /** Index of the opening triple quote when {@link #openTripleQuote} is not null. */
    static int openTripleQuoteIndex(CharSequence text) {
        return facts(text).openQuoteAt;
    }

    /**
     * What every rule asks of the same text in the same step, computed once per text length (the decode
     * loop's text only grows within a sequence, so the triple-quote scan continues where it stopped).
     */
    static final class Facts {
        int length = -1;
        Language language;
        String indentUnit;
        int scanned; // triple quotes are counted in text[0, scanned)
        String openQuote;
        int openQuoteAt = -1;
        String tail = "";
        int stylesAt;
    }

    /** Characters of growth after which language and indentation unit are read again. */
    private static final int RESCAN_STYLE = 200;

    /**
     * Whether text[0, length) ends with {@code tail}: the same text grown further (the decode loop may hand
     * over a new CharSequence object each step, so identity is not enough).
     */
    private static boolean endsAt(CharSequence text, int length, String tail) {
        if (length < tail.length() || length > text.length()) {
            return false;
        }
        for (int i = 0; i < tail.length(); i++) {
            if (text.charAt(length - tail.length() + i) != tail.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private static final ThreadLocal<Facts> FACTS = ThreadLocal.withInitial(Facts::new);

    static Facts facts(CharSequence text) {
        Facts f = FACTS.get();
        int n = text.length();
        boolean sameStart = n >= f.length && f.length >= 0 && endsAt(text, f.length, f.tail);
        if (sameStart && n == f.length) {
            return f;
        }
        if (!sameStart) {
            f.scanned = 0;
            f.openQuote = null;
            f.openQuoteAt = -1;
        }
        f.length = n;
        f.tail = text.subSequence(Math.max(0, n - 32), n).toString();
        if (!sameStart || f.language == null || n - f.stylesAt >= RESCAN_STYLE) {
            // language and indentation style change slowly: rescan the window every few lines only
            f.language = scanLanguage(text);
            f.indentUnit = scanIndentUnit(text);
            f.stylesAt = n;
        }
        int i = f.scanned;
        for (; i + 2 < n; i++) {
            char c = text.charAt(i);
            if ((c == '"' || c == '\'') && text.charAt(i + 1) == c && text.charAt(i + 2) == c) {
                String q = String.valueOf(c).repeat(3);
                if (f.openQuote == null) {
                    f.openQuote = q;
                    f.openQuoteAt = i;
                } else if (f.openQuote.equals(q)) {
                    f.openQuote = null;
                    f.openQuoteAt = -1;
                }
                i += 2;
            }
        }
        f.scanned = i;
        return f;
    }
}
