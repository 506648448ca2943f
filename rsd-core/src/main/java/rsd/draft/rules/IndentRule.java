package rsd.draft.rules;

import java.util.Set;
import rsd.decode.DraftContext;

/**
 * Indentation of the next line, right after a line ends. Llama 3 writes an indentation of N spaces as one
 * token of N-1 spaces (the last space joins the next word), so the rule emits that token only.
 * <ul>
 *   <li>{@code block-indent}: one step deeper after a block opener (Python ':' / C-family '{');</li>
 *   <li>{@code same-indent}: the same indentation after a plain line;</li>
 *   <li>{@code dedent}: one step shallower after return/pass/break/continue/raise (Python) or after
 *       a C-family statement that ends a block ("return ...;", "break;").</li>
 * </ul>
 */
final class IndentRule extends Rule {
    enum Kind { BLOCK, SAME, DEDENT }

    private static final Set<String> BLOCK_ENDERS = Set.of("return", "pass", "break", "continue", "raise");
    /** Lookahead: a word follows the indentation, so its last space joins that word. */
    private static final String WORD = "x";

    private final Kind kind;

    IndentRule(Kind kind) {
        super(switch (kind) {
            case BLOCK -> "block-indent";
            case SAME -> "same-indent";
            case DEDENT -> "dedent";
        });
        this.kind = kind;
    }

    @Override
    Guess guess(DraftContext context) {
        CharSequence text = context.text();
        String line = CodeText.lastFinishedLine(text);
        if (line == null) {
            return null;
        }
        String code = CodeText.code(line);
        boolean python = CodeText.language(text) == CodeText.Language.PYTHON;
        String[] open = CodeText.openBrackets(python || !code.endsWith("{") ? line : line.substring(0, line.lastIndexOf('{')));
        if (!open[0].isEmpty() || !open[1].isEmpty() || code.endsWith("\\") || code.endsWith(",")) {
            return null; // a continuation line: its indentation aligns with brackets, not blocks
        }
        String indentation = CodeText.indentation(line);
        String unit = CodeText.indentUnit(text);
        boolean opensBlock = python ? code.endsWith(":") : code.endsWith("{");
        boolean endsBlock = python ? BLOCK_ENDERS.contains(CodeText.firstWord(code))
                : code.endsWith(";") && BLOCK_ENDERS.contains(CodeText.firstWord(code));
        String next = switch (kind) {
            case BLOCK -> opensBlock ? indentation + unit : null;
            case SAME -> opensBlock || endsBlock ? null : indentation;
            case DEDENT -> endsBlock ? CodeText.dedent(indentation, unit) : null;
        };
        if (next == null || next.isEmpty()) {
            return null;
        }
        return new Guess(next, WORD, CodeText.endsWithBlankLine(text) ? "after-blank" : python ? "py" : "c");
    }
}
