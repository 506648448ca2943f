package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;


import org.junit.jupiter.api.Test;
import rsd.decode.GrowingContext;
import rsd.tokenizer.Cl100kVocabulary;

class LookupDrafterTest {
    private static final rsd.tokenizer.Tokenizer TOK = Cl100kVocabulary.tokenizer();

    private static String proposeAfter(LookupDrafter lookup, GrowingContext context, int max) {
        return TOK.decode(lookup.propose(context, max).tokens());
    }

    @Test
    void copiesTheContinuationOfTheLongestSuffixMatch() {
        String prompt = "def has_close_elements(numbers, threshold):\n    for idx, elem in enumerate(numbers):\n"
                + "        pass\n    return has_close";
        LookupDrafter lookup = new LookupDrafter();
        GrowingContext context = new GrowingContext(TOK, TOK.encode(prompt));
        assertThat(proposeAfter(lookup, context, 3)).isEqualTo("_elements(numbers,");
        assertThat(lookup.lastMatchLength()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void prefersTheLongerMatchOverTheMoreRecent() {
        String text = "a = x + y * 1\nb = x + z\nc = w + y * 2\nd = x + y";
        // " x + y" matched longest at the first line (" * 1"), " + y" alone would also match line 3
        LookupDrafter lookup = new LookupDrafter();
        assertThat(proposeAfter(lookup, new GrowingContext(TOK, TOK.encode(text)), 3)).isEqualTo(" * 1");
    }

    @Test
    void indexesIncrementallyAndSeesGeneratedTokens() {
        LookupDrafter lookup = new LookupDrafter();
        GrowingContext context = new GrowingContext(TOK, TOK.encode("result = compute_total(values)\n"));
        assertThat(lookup.propose(context, 4).isEmpty()).isTrue();
        for (int id : TOK.encode("print(result")) {
            context.add(id);
        }
        assertThat(lookup.propose(context, 4).isEmpty()).isTrue(); // "(result" never occurred before
        for (int id : TOK.encode(")\nprint(result")) {
            context.add(id);
        }
        assertThat(proposeAfter(lookup, context, 1)).isEqualTo(")\n");
    }

    @Test
    void rebuildsWhenANewSequenceStarts() {
        LookupDrafter lookup = new LookupDrafter();
        lookup.propose(new GrowingContext(TOK, TOK.encode("alpha beta gamma delta alpha beta")), 4);
        GrowingContext other = new GrowingContext(TOK, TOK.encode("x one two three one two"));
        assertThat(proposeAfter(lookup, other, 1)).isEqualTo(" three");
    }

    @Test
    void emptyWithoutARepeatedPair() {
        LookupDrafter lookup = new LookupDrafter();
        assertThat(lookup.propose(new GrowingContext(TOK, TOK.encode("def f(x): return x")), 5).isEmpty()).isTrue();
    }

    @Test
    void fallsBackToTheLastTokenAloneUnlessDisabled() {
        String text = "alpha = beta(1)\nzeta(";
        // the pair ("zeta", "(") never occurred, the token "(" did: copy what followed it
        LookupDrafter lookup = new LookupDrafter();
        assertThat(proposeAfter(lookup, new GrowingContext(TOK, TOK.encode(text)), 2)).isEqualTo("1)\n");
        assertThat(lookup.lastGrade()).isEqualTo("1");
        LookupDrafter strict = new LookupDrafter(false);
        assertThat(strict.propose(new GrowingContext(TOK, TOK.encode(text)), 2).isEmpty()).isTrue();
    }
}
