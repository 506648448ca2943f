package rsd.draft.rules;

import java.util.List;
import java.util.regex.Pattern;
import rsd.decode.DraftContext;

/**
 * {@code idiom}: frequent fixed continuations of a line, recognised on the line's text so far. When an
 * idiom has variants (":\n" or " as e:\n" after {@code except ValueError}), a later variant already used in
 * the context wins, else the first (the commonest). Llama 3 joins '.' and '(' to the following word ({@code ".append"},
 * {@code "(self"}), so idioms end where a clean token cut is certain, and the tokenizer decides the cut.
 */
final class IdiomRule extends Rule {
    private record Idiom(Pattern line, List<String> variants, String lookahead) {
        Idiom(String regex, String lookahead, String... variants) {
            this(Pattern.compile(regex), List.of(variants), lookahead);
        }
    }

    private static final List<Idiom> PYTHON = List.of(
            new Idiom("^\\s+def __init$", ", ", "__(self"),
            new Idiom("^\\s+def (?!__init$)\\w+$", ")", "(self"),
            new Idiom("^\\s*if __name__$", "\n", " == \"__main__\":", " == '__main__':"),
            new Idiom("^\\s*if __name__ == \"__main__\"$", "\n", ":"),
            new Idiom("^\\s*(else|try|finally)$", "    x", ":\n"),
            new Idiom("^\\s*except [\\w.]+$", "    x", ":\n", " as e:\n"),
            new Idiom("^\\s*except \\(?[\\w., ]+\\)? as \\w+$", "    x", ":\n"),
            new Idiom("^\\s*(pass|break|continue)$", "x", "\n"),
            new Idiom("^\\s*return (True|False|None|self|result|res|ans)$", "x", "\n"),
            new Idiom("\\bfor \\w+$", " x", " in"),
            new Idiom("\\bfor \\w+, \\w+$", " x", " in"),
            new Idiom("\\bfor \\w+ in$", "n", " range("),
            new Idiom("\\bfor \\w+, \\w+ in$", "x", " enumerate("),
            new Idiom("\\bin range\\(len$", "x", "("),
            new Idiom("\\bis$", "\n", " None", " not None"),
            new Idiom("\\bis not$", "\n", " None"),
            new Idiom("^\\s*from [\\w.]+$", " x", " import"),
            new Idiom("^\\s*import [\\w.]+$", "x", "\n"),
            new Idiom("^\\s*@(property|staticmethod|classmethod|abstractmethod)$", "    x", "\n"),
            new Idiom("\\bsuper$", ")", "().__init__("),
            new Idiom("^\\s*raise \\w+(Error|Exception)$", "x", "(\"", "('"));


    private static final List<Idiom> C_FAMILY = List.of(
            new Idiom("^\\s*(public )?static void main$", "\n", "(String[] args) {\n"),
            new Idiom("\\bSystem$", "(", ".out.println"),
            new Idiom("\\bSystem\\.out$", "(", ".println"),
            new Idiom("^\\s*@Override$", "    x", "\n"),
            new Idiom("^\\s*(import|package) [\\w.*]+$", "x", ";\n"),
            new Idiom("^\\s*\\} else$", "    x", " {\n"),
            new Idiom("^\\s*\\}$", "    x", "\n"),
            new Idiom("^\\s*(try|else|finally|do)$", "    x", " {\n"),
            new Idiom("^\\s*\\} (catch|finally)$", "x", " ("),
            new Idiom("\\bfor \\(int \\w+$", "0", " ="),
            new Idiom("\\bfor \\(int (\\w+) = 0; \\1 < [\\w.()]+; \\1$", "    x", "++) {\n"),
            new Idiom("^\\s*return (true|false|null|this|result)$", "    x", ";\n"),
            new Idiom("^\\s*(break|continue)$", "    x", ";\n"),
            new Idiom("\\bnew \\w+$", ";", "()"));

    IdiomRule() {
        super("idiom");
    }

    @Override
    Guess guess(DraftContext context) {
        CharSequence text = context.text();
        String line = CodeText.currentLine(text);
        if (line.isBlank()) {
            return null;
        }
        boolean python = CodeText.language(text) == CodeText.Language.PYTHON;
        String indentation = CodeText.indentation(line);
        List<Idiom> idioms = python ? PYTHON : C_FAMILY;
        for (int index = 0; index < idioms.size(); index++) {
            Idiom idiom = idioms.get(index);
            if (!idiom.line().matcher(line).find()) {
                continue;
            }
            String chosen = idiom.variants().getFirst();
            if (idiom.variants().size() > 1) {
                String recent = text.subSequence(Math.max(0, text.length() - CodeText.WINDOW), text.length()).toString();
                for (String v : idiom.variants().subList(1, idiom.variants().size())) {
                    if (recent.contains(v)) {
                        chosen = v;
                        break;
                    }
                }
            }
            String lookahead = idiom.lookahead().startsWith("    ") ? indentation + idiom.lookahead() : idiom.lookahead();
            return new Guess(chosen, lookahead, (python ? "py" : "c") + index);
        }
        return null;
    }
}
