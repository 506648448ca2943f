package rsd.draft.rules;

import rsd.decode.DraftContext;

/**
 * {@code else-dedent}: after a plain statement inside an if/elif/try/except body, the next line may
 * return to the header's indentation with else:, elif or except. The rule guesses that dedented line
 * start (indentation token and keyword, with ":\n" for else/finally). It competes with
 * {@code same-indent}; the auto speculator verifies both as two branches of one token tree.
 */
final class ElseRule extends Rule {
    private static final int MAX_LINES_BACK = 40;

    ElseRule() {
        super("else-dedent");
    }

    @Override
    Guess guess(DraftContext context) {
        CharSequence text = context.text();
        String line = CodeText.lastFinishedLine(text);
        if (line == null || CodeText.language(text) != CodeText.Language.PYTHON) {
            return null;
        }
        String code = CodeText.code(line);
        if (code.endsWith(":") || code.endsWith(",") || code.endsWith("\\")) {
            return null;
        }
        String indentation = CodeText.indentation(line);
        String header = header(text, indentation.length());
        if (header == null) {
            return null;
        }
        String headerIndent = CodeText.indentation(header);
        if (headerIndent.isEmpty()) {
            return null; // at column 0 the keyword is the first token: nothing to cut cleanly before it
        }
        String unit = CodeText.indentUnit(text);
        String word = CodeText.firstWord(CodeText.code(header));
        return switch (word) {
            case "if", "elif" -> new Guess(headerIndent + "else:\n", headerIndent + unit + "x", "else");
            case "try", "except" -> new Guess(headerIndent + "except", " Exception", "except");
            default -> null;
        };
    }

    /** The nearest earlier line indented less than {@code indent} (the block's header), or null. */
    private static String header(CharSequence text, int indent) {
        int end = text.length() - 1; // the final newline
        for (int n = 0; n < MAX_LINES_BACK && end > 0; n++) {
            int start = end;
            while (start > 0 && text.charAt(start - 1) != '\n') {
                start--;
            }
            String line = text.subSequence(start, end).toString();
            if (!line.isBlank() && CodeText.indentation(line).length() < indent) {
                return line;
            }
            end = start - 1;
        }
        return null;
    }
}
