package rsd.draft.rules;

import static org.assertj.core.api.Assertions.assertThat;


import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.decode.Draft;
import rsd.decode.Drafter;
import rsd.decode.GrowingContext;
import rsd.tokenizer.Cl100kVocabulary;

/** Each rule on real Llama-3 (cl100k) pieces: what it guesses, and that it stays silent elsewhere. */
class RulesTest {
    private static final rsd.tokenizer.Tokenizer TOK = Cl100kVocabulary.tokenizer();

    private static Drafter rule(String name) {
        return Rules.all().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
    }

    /** The pieces the named rule guesses after the given text (tokenized as the model would). */
    static List<String> guess(String name, String text) {
        GrowingContext context = new GrowingContext(TOK, TOK.encode(text));
        Draft draft = rule(name).propose(context, 16);
        assertThat(draft.rules()).hasSize(draft.size()).allMatch(name::equals);
        List<String> pieces = new ArrayList<>();
        for (int id : draft.tokens()) {
            pieces.add(TOK.piece(id));
        }
        return pieces;
    }

    @Test
    void blockIndentAfterColonIsOneTokenOfNMinusOneSpaces() {
        assertThat(guess("block-indent", "def fibonacci(n):\n")).containsExactly("   ");
        assertThat(guess("block-indent", "class A:\n    def f(self):\n")).containsExactly("       ");
        assertThat(guess("block-indent", "def f(n):\n    x = 1\n")).isEmpty();
    }

    @Test
    void blockIndentFollowsTheFilesIndentUnit() {
        assertThat(guess("block-indent", "if a:\n  b = 1\n  if c:\n")).containsExactly("   ");
        // tabs behave like spaces: the last tab joins the next word ("\t" then "\tx")
        assertThat(guess("block-indent", "if a:\n\tb = 1\n\tif c:\n")).containsExactly("\t");
    }

    @Test
    void sameIndentAfterAPlainLineOnly() {
        assertThat(guess("same-indent", "def f(n):\n    x = 1\n")).containsExactly("   ");
        assertThat(guess("same-indent", "def f(n):\n    return n\n")).isEmpty();
        assertThat(guess("same-indent", "def f(n):\n    x = g(1,\n")).isEmpty(); // continuation line
        assertThat(guess("same-indent", "x = 1\n")).isEmpty(); // column 0: no indentation token
    }

    @Test
    void dedentAfterBlockEnders() {
        String text = "def f(n):\n    if n < 2:\n        return n\n";
        assertThat(guess("dedent", text)).containsExactly("   ");
        assertThat(guess("dedent", "def f(n):\n    for x in y:\n        break\n")).containsExactly("   ");
        assertThat(guess("dedent", "def f(n):\n    return n\n")).isEmpty();
    }

    @Test
    void elseDedentGuessesTheElseLineOfAnIf() {
        String text = "def f(n):\n    if n > 0:\n        x = 1\n";
        assertThat(guess("else-dedent", text)).containsExactly("   ", " else", ":\n");
        assertThat(guess("else-dedent", "def f(n):\n    try:\n        x = 1\n")).containsExactly("   ", " except");
        assertThat(guess("else-dedent", "def f(n):\n    x = 1\n")).isEmpty();
    }

    @Test
    void closeMergesBracketsWithTheLineEnding() {
        assertThat(guess("close", "def fibonacci(n")).containsExactly("):\n");
        assertThat(guess("close", "    x = foo(bar[i")).containsExactly("])\n");
        assertThat(guess("close", "    print(\"hello")).containsExactly("\")\n");
        assertThat(guess("close", "    if n < 2")).containsExactly(":\n");
        assertThat(guess("close", "    if x is")).isEmpty();
        assertThat(guess("close", "    x = foo(")).isEmpty();
        assertThat(guess("close", "    x = y")).isEmpty();
    }

    @Test
    void closeInCFamilyEndsWithSemicolonOrBrace() {
        String java = "public class A {\n    int size() {\n        return n;\n    }\n    void run() {\n";
        assertThat(guess("close", java + "        int x = foo(a")).containsExactly(");\n");
        assertThat(guess("close", java + "        if (x > y")).containsExactly(")", " {\n");
    }

    @Test
    void docstringClosesAndPredictsTheCodeLineIndentation() {
        String text = "def f(n):\n    \"\"\"Return the thing.\n\n    >>> f(1)\n    2\n";
        assertThat(guess("docstring", text)).containsExactly("   ", " \"\"\"\n", "   ");
        assertThat(guess("docstring", "def f(n):\n    \"\"\"Return the thing.\n\n    >>> f(1)\n")).isEmpty();
        assertThat(guess("docstring", "def f(n):\n    \"\"\"Doc.\"\"\"\n")).isEmpty();
    }

    @Test
    void idiomsEmitTheirCleanlyCutTokens() {
        assertThat(guess("idiom", "class A:\n    def __init")).containsExactly("__(", "self");
        assertThat(guess("idiom", "class A:\n    def run")).containsExactly("(self");
        assertThat(guess("idiom", "    for i")).containsExactly(" in");
        assertThat(guess("idiom", "    for i in")).containsExactly(" range");
        assertThat(guess("idiom", "from os")).containsExactly(" import");
        assertThat(guess("idiom", "    if x is")).containsExactly(" None");
        assertThat(guess("idiom", "if __name__")).startsWith(" ==", " \"__");
        assertThat(guess("idiom", "    x = y")).isEmpty();
    }

    @Test
    void idiomPrefersTheVariantAlreadyInTheContext() {
        String plain = "try:\n    a()\nexcept KeyError:\n    pass\ntry:\n    b()\nexcept ValueError";
        String named = "try:\n    a()\nexcept KeyError as e:\n    pass\ntry:\n    b()\nexcept ValueError";
        assertThat(guess("idiom", plain)).containsExactly(":\n");
        assertThat(guess("idiom", named)).containsExactly(" as", " e", ":\n");
    }

    @Test
    void bracesForCFamilyHeadersStatementsAndBlockEnds() {
        String java = "public class A {\n    public int size() {\n        return n;\n    }\n";
        assertThat(guess("braces", java + "    void run()")).containsExactly(" {\n");
        assertThat(guess("braces", java + "    void run() {\n        int x = y")).containsExactly(";\n");
        assertThat(guess("braces", java + "    void run() {\n        return n;\n")).containsExactly("   ", " }\n");
        assertThat(guess("braces", "def f(n):\n    x = y")).isEmpty(); // Python: no semicolons
    }

    @Test
    void numbersFollowTheSpaceLlamaSplitsFromDigits() {
        // "n < 2" is " n", " <", " ", "2": after the lone space the rule guesses a digit group
        assertThat(guess("numbers", "    if n == ")).containsExactly("0");
        assertThat(guess("numbers", "a = b * 7\nc = d * 7\ne = f * ")).containsExactly("7");
        assertThat(guess("numbers", "    x = y")).isEmpty();
    }

    @Test
    void everyRuleIsSilentOnAnEmptyOrSpecialContext() {
        GrowingContext empty = new GrowingContext(TOK, new int[0]);
        GrowingContext bos = new GrowingContext(TOK, new int[] {TOK.bos()});
        for (Drafter d : Rules.all()) {
            assertThat(d.propose(empty, 8).isEmpty()).as(d.name()).isTrue();
            assertThat(d.propose(bos, 8).isEmpty()).as(d.name()).isTrue();
        }
    }

    @Test
    void guessesNeverExceedMaxTokens() {
        String text = "def f(n):\n    \"\"\"Return the thing.\n\n    >>> f(1)\n    2\n";
        Draft d = rule("docstring").propose(new GrowingContext(TOK, TOK.encode(text)), 1);
        assertThat(d.tokens()).hasSize(1);
    }

    @Test
    void rulesGradeTheirGuessesSoAutoLearnsEachKindApart() {
        var idiom = (rsd.draft.GradedDrafter) rule("idiom");
        idiom.propose(new GrowingContext(TOK, TOK.encode("from os")), 4);
        String fromImport = idiom.lastGrade();
        idiom.propose(new GrowingContext(TOK, TOK.encode("    if x is")), 4);
        assertThat(idiom.lastGrade()).isNotEqualTo(fromImport).isNotEmpty();
        var close = (rsd.draft.GradedDrafter) rule("close");
        close.propose(new GrowingContext(TOK, TOK.encode("def fibonacci(n")), 4);
        assertThat(close.lastGrade()).isEqualTo("header");
        close.propose(new GrowingContext(TOK, TOK.encode("    x = foo(bar[i")), 4);
        assertThat(close.lastGrade()).isEqualTo("line");
    }
}
