package rsd.draft.rules;

import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.draft.GradedDrafter;

/**
 * A named rule: decides from the decoded text, emits exact ids through {@link TokenGuesses}. Each guess
 * carries a grade (which idiom, header or plain line, ...) so that the auto speculator learns acceptance
 * per kind of guess, not per rule only.
 */
abstract class Rule implements GradedDrafter {
    private final String name;
    private String lastGrade = "";

    Rule(String name) {
        this.name = name;
    }

    @Override
    public final String name() {
        return name;
    }

    /** The guessed text (with a lookahead that fixes where its last token ends), or null for no guess. */
    abstract Guess guess(DraftContext context);

    @Override
    public final Draft propose(DraftContext context, int maxTokens) {
        if (maxTokens <= 0 || context.length() == 0) {
            return Draft.EMPTY;
        }
        Guess g = guess(context);
        if (g == null) {
            return Draft.EMPTY;
        }
        int[] ids = TokenGuesses.after(context, g.text(), g.lookahead());
        if (ids.length == 0) {
            return Draft.EMPTY;
        }
        lastGrade = g.grade();
        if (ids.length > maxTokens) {
            ids = java.util.Arrays.copyOf(ids, maxTokens);
        }
        return Draft.of(name, ids);
    }

    @Override
    public final String lastGrade() {
        return lastGrade;
    }

    /** Guessed text, the text assumed to follow it, and the kind of guess. */
    record Guess(String text, String lookahead, String grade) {
        Guess(String text, String lookahead) {
            this(text, lookahead, "");
        }
    }
}
