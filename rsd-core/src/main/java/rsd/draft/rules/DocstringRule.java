package rsd.draft.rules;

import rsd.decode.DraftContext;

/**
 * {@code docstring}: inside an open triple-quoted docstring, guesses that it closes now: after a finished
 * docstring line, the indentation, the closing quotes with their newline ({@code " \"\"\"\n"}) and the
 * indentation of the code line after it; on a long opening line, a full stop with the closing quotes.
 */
final class DocstringRule extends Rule {
    DocstringRule() {
        super("docstring");
    }

    @Override
    Guess guess(DraftContext context) {
        CharSequence text = context.text();
        String quote = CodeText.openTripleQuote(text);
        if (quote == null) {
            return null;
        }
        String indentation = openingIndentation(text, CodeText.openTripleQuoteIndex(text));
        if (indentation == null) {
            return null;
        }
        String current = CodeText.currentLine(text);
        if (current.isEmpty()) {
            String line = CodeText.lastFinishedLine(text);
            if (line == null || line.strip().startsWith(">>>") || line.contains(quote)) {
                return null; // an example's output line comes next, or the docstring only just opened
            }
            return new Guess(indentation + quote + "\n" + indentation, "x", CodeText.endsWithBlankLine(text) ? "after-blank" : "after-line");
        }
        if (current.contains(quote) && current.length() > indentation.length() + 30
                && Character.isLetter(current.charAt(current.length() - 1))) {
            // a one-line docstring that has said enough: the full stop merges with the closing quotes
            return new Guess("." + quote + "\n" + indentation, "x", "one-line");
        }
        return null;
    }

    /** Indentation of the line holding the last (opening) triple quote. */
    private static String openingIndentation(CharSequence text, int at) {
        if (at < 0) {
            return null;
        }
        int start = at;
        while (start > 0 && text.charAt(start - 1) != '\n') {
            start--;
        }
        return CodeText.indentation(text.subSequence(start, at).toString() + "x");
    }
}
