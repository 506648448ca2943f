package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;


import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

/** The indentation rule on real Llama-3 pieces: rsd's own tokenizer on cl100k (= Llama-3 ids below 100,000). */
class IndentDrafterTest {
    static final Tokenizer TOK = Cl100kVocabulary.tokenizer();
    static final IndentDrafter DRAFTER = new IndentDrafter(TOK);

    static List<String> guess(String text) {
        List<String> pieces = new ArrayList<>();
        for (int id : DRAFTER.guessFor(text)) {
            pieces.add(TOK.piece(id));
        }
        return pieces;
    }

    @Test
    void nSpacesOfIndentationAreOneTokenOfNMinusOneSpaces() {
        // Llama 3 cuts indentation as "   " " return", "       " " self" (n spaces: n-1 of them, then the word).
        assertThat(Arrays.stream(TOK.encode("    return n")).mapToObj(TOK::piece)).containsExactly("   ", " return", " n");
        for (int w = 2; w <= 16; w++) {
            int[] g = DRAFTER.guessFor(" ".repeat(w) + "x = 1\n");
            assertThat(g).as("width %d", w).hasSize(1);
            assertThat(TOK.piece(g[0])).isEqualTo(" ".repeat(w - 1));
        }
        // One space joins the word entirely: nothing to guess.
        assertThat(DRAFTER.guessFor(" x\n")).isEmpty();
    }

    @Test
    void deeperAfterABlockOpenerSameAfterAPlainLine() {
        assertThat(guess("def fibonacci(n):\n")).containsExactly("   ");
        assertThat(guess("def f(n):\n    if n < 2:\n")).containsExactly("       ");
        assertThat(guess("def f(n):\n    if n < 2:\n        return n\n")).containsExactly("       ");
        assertThat(guess("class Foo(Bar):\n    def __init__(self, a):\n")).containsExactly("       ");
        assertThat(guess("x = 1\n")).isEmpty(); // top level: the next word carries no indentation
        assertThat(guess("def f(n")).isEmpty(); // not at the start of a line
    }

    @Test
    void blankLinesAndCommentsLookBackToTheLastCodeLine() {
        assertThat(guess("def f():\n    a = 1\n\n")).containsExactly("   ");
        assertThat(guess("def f():\n    a = 1\n   \n\n")).containsExactly("   ");
        assertThat(guess("def f():\n    # note:\n")).containsExactly("   ");
        assertThat(guess("\n\n")).isEmpty();
    }

    @Test
    void cFamilyBracesAndTheIndentUnitOfTheFile() {
        assertThat(guess("public class A {\n")).containsExactly("   ");
        assertThat(guess("public class A {\n    void f() {\n")).containsExactly("       ");
        assertThat(guess("public class A {\n    int x = 1;\n")).containsExactly("   ");
        // Two-space JavaScript: one level deeper is two more spaces.
        assertThat(guess("function f() {\n  let a = 1;\n  if (a) {\n")).containsExactly("   ");
        assertThat(IndentDrafter.unit("function f() {\n  let a = 1;\n")).isEqualTo(2);
        assertThat(IndentDrafter.unit("def f():\n    return 1\n")).isEqualTo(4);
    }

    @Test
    void tabsIndentWithTabTokens() {
        assertThat(guess("def f():\n\tif x:\n")).containsExactly("\t");
        assertThat(Arrays.stream(TOK.encode("\t\tif")).mapToObj(TOK::piece)).containsExactly("\t", "\tif");
    }

    /**
     * Replays real tokenization: at every token boundary of a function, what the drafter guesses is
     * compared with the tokens that actually follow.
     */
    @Test
    void guessesMatchTheRealTokenizationOfAFunction() {
        String code = """
                def count_vowels(text):
                    \"\"\"Count the vowels in text.\"\"\"
                    total = 0
                    for ch in text:
                        if ch in "aeiou":
                            total += 1
                    return total
                """;
        int[] ids = TOK.encode(code);
        int proposals = 0;
        int right = 0;
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < ids.length; i++) {
            prefix.append(TOK.piece(ids[i]));
            int[] g = DRAFTER.guessFor(prefix);
            if (g.length == 0 || i + 1 >= ids.length) {
                continue;
            }
            proposals++;
            if (Arrays.equals(g, Arrays.copyOfRange(ids, i + 1, Math.min(ids.length, i + 1 + g.length)))) {
                right++;
            }
        }
        // Six lines start indented; only the dedent before "return" is guessed wrong.
        assertThat(proposals).isEqualTo(6);
        assertThat(right).isEqualTo(5);
    }

    @Test
    void proposeHonoursTheBudgetAndNamesTheRule() {
        Draft d = DRAFTER.propose(new TextOnlyContext("def f():\n"), 3);
        assertThat(d.rules()).containsExactly("indent");
        assertThat(DRAFTER.propose(new TextOnlyContext("def f():\n"), 0).isEmpty()).isTrue();
    }

    record TextOnlyContext(String t) implements DraftContext {
        public int length() {
            return 0;
        }

        public int token(int i) {
            throw new IndexOutOfBoundsException();
        }

        public int[] lastTokens(int n) {
            return new int[0];
        }

        public int promptLength() {
            return 0;
        }

        public CharSequence text() {
            return t;
        }

        public Tokenizer tokenizer() {
            return TOK;
        }
    }
}
