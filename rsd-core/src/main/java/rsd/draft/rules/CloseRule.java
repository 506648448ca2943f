package rsd.draft.rules;

import java.util.Set;
import rsd.decode.DraftContext;

/**
 * {@code close}: on a line with open brackets or an open quote, right after a word, number, quote or
 * closing bracket, guesses that the line ends now: the closing quote and brackets plus the line ending
 * Llama 3 merges into them ({@code "):\n"} after a Python header, {@code ")\n"}, {@code "]\n"},
 * {@code "\")\n"}, C-family {@code ");\n"} or {@code ") {\n"}). A Python header without brackets
 * ({@code if n < 2}) gets {@code ":\n"}.
 */
final class CloseRule extends Rule {
    static final Set<String> PYTHON_HEADERS = Set.of("def", "class", "if", "elif", "for", "while", "with", "except");
    static final Set<String> C_HEADERS = Set.of("if", "for", "while", "switch", "catch", "synchronized");

    /** Words after which an expression cannot end. */
    private static final Set<String> OPERATOR_WORDS = Set.of("is", "in", "not", "and", "or", "if", "else",
            "lambda", "return", "for", "while", "elif", "with", "as", "def", "class", "except", "from", "import");

    CloseRule() {
        super("close");
    }

    /** A Python header without open brackets that reads as complete: "if n < 2", "for x in xs". */
    private static boolean bareHeaderComplete(String code, String word) {
        String[] words = code.split("\\s+");
        String lastWord = words[words.length - 1];
        if (OPERATOR_WORDS.contains(lastWord) || words.length < 2) {
            return false;
        }
        return switch (word) {
            case "if", "elif", "while" -> true;
            case "for" -> code.contains(" in ");
            case "with" -> code.contains(" as ");
            case "def" -> code.endsWith(")");
            case "except" -> true;
            default -> false;
        };
    }

    @Override
    Guess guess(DraftContext context) {
        CharSequence text = context.text();
        String line = CodeText.currentLine(text);
        if (line.isBlank()) {
            return null;
        }
        char last = line.charAt(line.length() - 1);
        String[] open = CodeText.openBrackets(line);
        String brackets = open[0];
        String quote = open[1];
        if (quote.length() == 3) {
            return null; // a docstring: the docstring rule's business
        }
        boolean afterValue = Character.isLetterOrDigit(last) || last == '_' || last == ')' || last == ']'
                || last == '}' || (quote.isEmpty() && (last == '"' || last == '\''))
                || (!quote.isEmpty() && last != quote.charAt(0) && last != ' ');
        if (!afterValue) {
            return null;
        }
        String code = CodeText.code(line);
        String word = CodeText.firstWord(code);
        boolean python = CodeText.language(text) == CodeText.Language.PYTHON;
        String indentation = CodeText.indentation(line);
        String unit = CodeText.indentUnit(text);
        StringBuilder closing = new StringBuilder(quote);
        for (int i = brackets.length() - 1; i >= 0; i--) {
            closing.append(CodeText.closer(brackets.charAt(i)));
        }
        if (python) {
            boolean header = PYTHON_HEADERS.contains(word) || (word.isEmpty() && code.startsWith("@"));
            if (closing.isEmpty() && !bareHeaderComplete(code, word)) {
                return null; // a line without brackets may go on with an operator: no safe guess
            }
            if (header && !code.startsWith("@") && !(word.equals("class") && brackets.isEmpty() && code.equals("class"))) {
                return new Guess(closing + ":\n", indentation + unit + "x", brackets.isEmpty() ? "bare-header" : "header");
            }
            return new Guess(closing + "\n", indentation + "x", quote.isEmpty() ? "line" : "string");
        }
        if (closing.isEmpty()) {
            return null; // C-family statements without brackets: the brace rule's business
        }
        if (C_HEADERS.contains(word) && brackets.startsWith("(")) {
            return new Guess(closing + " {\n", indentation + unit + "x", "c-header");
        }
        return new Guess(closing + ";\n", indentation + "x", "c-statement");
    }
}
