package rsd.draft.rules;

import java.util.Set;
import rsd.decode.DraftContext;

/**
 * {@code braces}: C-family line endings on a line whose brackets are balanced: {@code " {\n"} after a
 * control header or a method declaration that ends with ')', {@code ";\n"} after a statement that ends
 * with a value, and the closing {@code " }\n"} one step shallower after a block's last statement.
 */
final class BraceRule extends Rule {
    private static final Set<String> NOT_DECLARATIONS = Set.of("return", "new", "throw", "else", "case", "assert");

    BraceRule() {
        super("braces");
    }

    @Override
    Guess guess(DraftContext context) {
        CharSequence text = context.text();
        if (CodeText.language(text) != CodeText.Language.C_FAMILY) {
            return null;
        }
        String unit = CodeText.indentUnit(text);
        String line = CodeText.currentLine(text);
        if (line.isBlank()) {
            return closingBrace(text, unit);
        }
        String[] open = CodeText.openBrackets(line);
        if (!open[0].isEmpty() || !open[1].isEmpty()) {
            return null;
        }
        String code = CodeText.code(line);
        String indentation = CodeText.indentation(line);
        String word = CodeText.firstWord(code);
        char last = code.isEmpty() ? ' ' : code.charAt(code.length() - 1);
        if (last == ')' && (CloseRule.C_HEADERS.contains(word) || looksLikeDeclaration(code, word))) {
            return new Guess(" {\n", indentation + unit + "x", "header");
        }
        boolean value = Character.isLetterOrDigit(last) || last == '_' || last == ')' || last == ']'
                || last == '"' || last == '\'';
        boolean statement = last == ')' || word.equals("return") || word.equals("throw") || code.contains(" = ");
        if (value && statement && !CloseRule.C_HEADERS.contains(word) && !code.startsWith("@") && !code.startsWith("*")
                && !code.startsWith("/") && code.indexOf(' ') > 0) {
            return new Guess(";\n", indentation + "x", "statement");
        }
        return null;
    }

    /** "public int size()" or "void run(int n)": words before the '(' and no assignment or call chain. */
    private static boolean looksLikeDeclaration(String code, String word) {
        int paren = code.indexOf('(');
        if (paren <= 0 || NOT_DECLARATIONS.contains(word) || code.contains("=") || code.contains(".")) {
            return false;
        }
        return code.substring(0, paren).strip().contains(" ");
    }

    /** After a block's last statement ("return ...;", "break;"): the closing brace one step shallower. */
    private static Guess closingBrace(CharSequence text, String unit) {
        if (!CodeText.currentLine(text).isEmpty()) {
            return null;
        }
        String line = CodeText.lastFinishedLine(text);
        if (line == null) {
            return null;
        }
        String code = CodeText.code(line);
        String word = CodeText.firstWord(code);
        if (!(code.endsWith(";") && (word.equals("return") || word.equals("break") || word.equals("throw")
                || word.equals("continue")))) {
            return null;
        }
        String shallower = CodeText.dedent(CodeText.indentation(line), unit);
        if (shallower == null || shallower.isEmpty()) {
            return null;
        }
        return new Guess(shallower + "}\n", shallower + "x", "block-end");
    }
}
