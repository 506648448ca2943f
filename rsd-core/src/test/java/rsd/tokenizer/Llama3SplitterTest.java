package rsd.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The hand-written llama-bpe scanner against the regex it implements, and against hand-worked cases. */
class Llama3SplitterTest {
    private static final PreTokenizer LLAMA3_REGEX = PreTokenizer.regex(PreTokenizer.LLAMA3_PATTERN);
    private static final PreTokenizer CL100K_REGEX = PreTokenizer.regex(PreTokenizer.CL100K_PATTERN);

    static List<String> split(PreTokenizer p, String s) {
        List<String> out = new ArrayList<>();
        p.split(s, 0, s.length(), (a, b) -> out.add(s.substring(a, b)));
        return out;
    }

    record Case(String why, String text, List<String> pieces) {
        @Override
        public String toString() {
            return why;
        }
    }

    /** Worked out by hand from the pattern, alternative by alternative (see Llama3Splitter's javadoc). */
    static List<Case> handWorked() {
        return List.of(
                new Case("punctuation swallows the newline", "def fibonacci(n):\n", List.of("def", " fibonacci", "(n", "):\n")),
                new Case("indentation gives its last space to the word", "    if n < 2:\n",
                        List.of("   ", " if", " n", " <", " ", "2", ":\n")),
                new Case("deeper indentation", "        return n\n", List.of("       ", " return", " n", "\n")),
                new Case("blank lines merge", "    return b\n\n\n", List.of("   ", " return", " b", "\n\n\n")),
                new Case("closing brackets with newlines", "f(x)\n\n});\n", List.of("f", "(x", ")\n\n", "});\n")),
                new Case("brace then indentation", " {\n    a", List.of(" {\n", "   ", " a")),
                new Case("indented blank line joins the newlines", "a\n    \n    b", List.of("a", "\n    \n", "   ", " b")),
                new Case("digits in groups of three", "x = 1234567\n", List.of("x", " =", " ", "123", "456", "7", "\n")),
                new Case("version numbers", "v2.10.300", List.of("v", "2", ".", "10", ".", "300")),
                new Case("non-ASCII digits are numbers too", "x\u0663\u0664\u0665\u0666", List.of("x", "\u0663\u0664\u0665", "\u0666")),
                new Case("contractions", "don't we'll I'M", List.of("don", "'t", " we", "'ll", " I", "'M")),
                new Case("contraction wins over a quoted word", "'sup", List.of("'s", "up")),
                new Case("quote before a word", "'hello'", List.of("'hello", "'")),
                new Case("two quotes are punctuation", "x ''s", List.of("x", " ''", "s")),
                new Case("long s folds to s", "'\u017F", List.of("'\u017F")),
                new Case("CRLF", "a\r\nb", List.of("a", "\r\n", "b")),
                new Case("CRLF after punctuation, then indentation", "x;\r\n  y", List.of("x", ";\r\n", " ", " y")),
                new Case("tabs behave like spaces", "\tif x:\n\t\treturn", List.of("\tif", " x", ":\n", "\t", "\treturn")),
                new Case("trailing spaces at the end", "end   ", List.of("end", "   ")),
                new Case("trailing spaces before a newline", "end   \nx", List.of("end", "   \n", "x")),
                new Case("spaces around a newline", "a  \n  b", List.of("a", "  \n", " ", " b")),
                new Case("single space before a digit", "a 1", List.of("a", " ", "1")),
                new Case("emoji with skin tone are punctuation", "hi \uD83D\uDC4B\uD83C\uDFFD!", List.of("hi", " \uD83D\uDC4B\uD83C\uDFFD!")),
                new Case("a combining mark is not a letter", "cafe\u0301 ok", List.of("cafe", "\u0301", " ok")),
                new Case("a combining mark leads the next word", "e\u0301x", List.of("e", "\u0301x")),
                new Case("no-break space leads a word", "a\u00A0b", List.of("a", "\u00A0b")),
                new Case("ideographic spaces", "a\u3000\u3000b", List.of("a", "\u3000", "\u3000b")),
                new Case("CJK letters", "\u4F60\u597D, \u4E16\u754C", List.of("\u4F60\u597D", ",", " \u4E16\u754C")),
                new Case("empty text", "", List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handWorked")
    void scannerMatchesHandWorkedCases(Case c) {
        assertThat(split(Llama3Splitter.INSTANCE, c.text())).containsExactlyElementsOf(c.pieces());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("handWorked")
    void regexMatchesHandWorkedCases(Case c) {
        assertThat(split(LLAMA3_REGEX, c.text())).containsExactlyElementsOf(c.pieces());
    }

    @Test
    void gpt2PatternDiffersWhereItShould() {
        // GPT-2: case-sensitive contractions, whole digit runs with a leading space, no newline swallowing.
        assertThat(split(PreTokenizer.regex(PreTokenizer.GPT2_PATTERN), "Hello world's 1234  x\n"))
                .containsExactly("Hello", " world", "'s", " 1234", " ", " x", "\n");
        assertThat(split(PreTokenizer.regex(PreTokenizer.GPT2_PATTERN), "I'M):\n"))
                .containsExactly("I", "'", "M", "):", "\n");
    }

    @Test
    void splittingARegionIgnoresTheTextAroundIt() {
        // Special tokens cut the text into segments; each is split as if it were the whole text.
        String s = "ab  <|x|>  cd";
        List<String> out = new ArrayList<>();
        Llama3Splitter.INSTANCE.split(s, 0, 4, (a, b) -> out.add(s.substring(a, b)));
        assertThat(out).containsExactly("ab", "  ");
        List<String> viaRegex = new ArrayList<>();
        LLAMA3_REGEX.split(s, 0, 4, (a, b) -> viaRegex.add(s.substring(a, b)));
        assertThat(viaRegex).isEqualTo(out);
    }

    @Test
    void contractionCaseFoldingMatchesJavaRegexForEveryBmpChar() {
        Pattern p = PreTokenizer.compile("(?i:'s|'t|'re|'ve|'m|'ll|'d)");
        List<Character> letters = List.of('s', 't', 'r', 'v', 'm', 'l', 'd', 'e');
        for (char c = 1; c < 0xFFFF; c++) {
            if (Character.isSurrogate(c)) {
                continue;
            }
            for (char other : letters) {
                // As first letter (the one-letter contractions) and as either letter of the two-letter ones.
                for (String s : new String[] {"'" + c, "'" + c + other, "'" + other + c}) {
                    List<String> expected = split(LLAMA3_REGEX, s);
                    boolean regexContraction = p.matcher(s).lookingAt();
                    List<String> actual = split(Llama3Splitter.INSTANCE, s);
                    if (!actual.equals(expected)) {
                        throw new AssertionError("U+" + Integer.toHexString(c) + " in " + s + ": scanner " + actual
                                + " regex " + expected + " (contraction by regex: " + regexContraction + ")");
                    }
                }
            }
        }
    }

    @Property(tries = 3000)
    void scannerEqualsBothRegexes(@ForAll("trickyText") String s) {
        List<String> scanner = split(Llama3Splitter.INSTANCE, s);
        assertThat(scanner).isEqualTo(split(LLAMA3_REGEX, s));
        assertThat(scanner).isEqualTo(split(CL100K_REGEX, s));
        assertThat(String.join("", scanner)).isEqualTo(s);
    }

    /** Text built from the characters that decide pre-token boundaries, in random order and runs. */
    @Provide
    Arbitrary<String> trickyText() {
        Arbitrary<String> atoms = Arbitraries.oneOf(
                Arbitraries.of(" ", "  ", "    ", "\t", "\n", "\r", "\r\n", "\u000B", "\f", "\u0085", "\u00A0",
                        "\u1680", "\u2003", "\u2028", "\u202F", "\u3000", "\u001C"),
                Arbitraries.of("'", "'s", "'S", "'t", "'re", "'RE", "'Ve", "'m", "'ll", "'lL", "'d", "'\u017F", "'\u0131",
                        "'\u212A", "'\u0130", "'x"),
                Arbitraries.of("a", "Z", "word", "\u00E9", "\u4F60", "\u02B0", "\u01C5", "\u0301", "\u0915\u093F",
                        "\uD835\uDC00", "\uD800", "\uDC00"),
                Arbitraries.of("0", "7", "12", "1234", "\u0663", "\u00B2", "\u2167", "\u00BD", "\uD835\uDFCE"),
                Arbitraries.of("(", ")", ":", ";", ".", ",", "{", "}", "\"\"\"", "#", "_", "-", "=", "\uD83D\uDC4B",
                        "\uD83C\uDFFD", "\u00AD", "\u200B", "\u0000", "\uFFFD"),
                Arbitraries.strings().withCharRange('\u0000', '\uFFFF').ofMaxLength(3));
        return atoms.list().ofMaxSize(30).map(l -> String.join("", l));
    }
}
