package rsd.draft.rules;

import rsd.draft.Draft;
import rsd.draft.DraftContext;
import rsd.draft.Drafter;

/** A named rule: decides from the decoded text, emits exact ids through {@link TokenGuesses}. */
abstract class Rule implements Drafter {
    private final String name;

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
        if (ids.length > maxTokens) {
            ids = java.util.Arrays.copyOf(ids, maxTokens);
        }
        return Draft.of(name, ids);
    }

    /** Guessed text plus the text assumed to follow it. */
    record Guess(String text, String lookahead) {
    }
}
