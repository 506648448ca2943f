package rsd.draft.rules;

import java.util.List;
import rsd.decode.Drafter;

/** The rule set. Every call returns fresh drafters (rules keep no shared state). */
public final class Rules {
    private Rules() {
    }

    /** All rules, in the order a simple first-match speculator should ask them. */
    public static List<Drafter> all() {
        return List.of(
                new DocstringRule(),
                new IndentRule(IndentRule.Kind.BLOCK),
                new IndentRule(IndentRule.Kind.DEDENT),
                new IndentRule(IndentRule.Kind.SAME),
                new ElseRule(),
                new IdiomRule(),
                new CloseRule(),
                new BraceRule(),
                new NumberRule());
    }

    /** Names of {@link #all()}, in order. */
    public static List<String> names() {
        return all().stream().map(Drafter::name).toList();
    }
}
