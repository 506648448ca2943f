package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import com.fasterxml.jackson.databind.JsonNode;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import rsd.error.RsdException;
import rsd.metrics.StepTrace;
import rsd.report.PageTokens.Shown;
import rsd.testing.FakeTokenizer;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

/** Golden-structure tests: the pages are parsed back and checked against the ids they were made from. */
class TokenViewTest {
    private static final Tokenizer TOK = Cl100kVocabulary.tokenizer();
    private static final String SOURCE = Samples.prompt() + Samples.completion();

    @Test
    void textPageShowsEveryTokenWithItsExactBytes() {
        int[] ids = TOK.encode(SOURCE);
        String html = TokenView.ofIds(TOK, ids, "sample.py").toHtml(8);
        List<Shown> shown = PageTokens.in(html, "tokens");
        assertThat(shown.stream().mapToInt(Shown::id).toArray()).isEqualTo(ids);
        for (int i = 0; i < ids.length; i++) {
            assertThat(shown.get(i).bytes()).as("token %d", i).isEqualTo(TOK.tokenBytes(ids[i]));
        }
        assertThat(PageTokens.join(shown)).isEqualTo(SOURCE);
    }

    @Test
    void indentationAndLineEndsAreSingleVisibleTokens() {
        String html = TokenView.ofIds(TOK, TOK.encode(SOURCE), "sample.py").toHtml(8);
        List<Shown> shown = PageTokens.in(html, "tokens");
        int sevenSpaces = TOK.idOf("       ");
        int colonNewline = TOK.idOf("):\n");
        assertThat(sevenSpaces).isPositive();
        assertThat(colonNewline).isPositive();
        Shown indent = shown.stream().filter(s -> s.id() == sevenSpaces).findFirst().orElseThrow();
        assertThat(indent.raw()).isEqualTo("<span class=\"ws\">" + "\u00b7".repeat(7) + "</span>");
        Shown lineEnd = shown.stream().filter(s -> s.id() == colonNewline).findFirst().orElseThrow();
        assertThat(lineEnd.raw()).isEqualTo("):<span class=\"nl\">\u21b5</span>\n");
        assertThat(html).contains("title=\"id " + colonNewline + " &quot;):\\n&quot;\"");
    }

    @Test
    void vocabularyWhitespaceIsSummarisedByWidth() {
        assertThat(TokenView.ranges(List.of(1, 2, 3, 5, 7, 8, 10))).isEqualTo("1\u20133, 5, 7, 8, 10");
        assertThat(TokenView.ranges(List.of())).isEmpty();
        List<TokenView.VocabSpaces> rows = TokenView.vocabSpaces(TOK);
        TokenView.VocabSpaces spaces = rows.stream().filter(r -> r.kind().equals("spaces")).findFirst().orElseThrow();
        // Counted independently: every non-special id whose piece is spaces only.
        long expected = java.util.stream.IntStream.range(0, TOK.vocabSize()).filter(id -> !TOK.isSpecial(id))
                .filter(id -> TOK.piece(id).matches(" +")).count();
        assertThat(spaces.count()).isEqualTo(expected);
        assertThat(spaces.widths()).contains(1, 3, 7, 11, 15);
        String html = TokenView.ofIds(TOK, TOK.encode("x = 1\n"), "s").toHtml(4);
        assertThat(html).contains("<table id=\"vocab-spaces\">").contains("<tr><td>spaces</td><td>" + Html.count(expected) + "</td>");
    }

    @Test
    void neighboursAlternateThroughThePalette() {
        for (int colors : new int[] {2, 5, 20}) {
            List<Shown> shown = PageTokens.in(TokenView.ofIds(TOK, TOK.encode(SOURCE), "s").toHtml(colors), "tokens");
            Set<String> used = new HashSet<>();
            for (int i = 0; i < shown.size(); i++) {
                String c = shown.get(i).cls();
                assertThat(c).isEqualTo("c" + (i % colors));
                used.add(c);
            }
            assertThat(used).hasSize(colors);
        }
        assertThatThrownBy(() -> TokenView.ofIds(TOK, new int[] {1}, "s").toHtml(1)).isInstanceOf(RsdException.class)
                .hasMessageContaining("--max-colors");
    }

    @Test
    void whitespaceSummaryCountsEachWidth() {
        int[] ids = TOK.encode(SOURCE);
        String html = TokenView.ofIds(TOK, ids, "s").toHtml(8);
        Map<Integer, Long> expected = new LinkedHashMap<>();
        for (int id : ids) {
            if (TOK.piece(id).isBlank()) {
                expected.merge(id, 1L, Long::sum);
            }
        }
        Map<Integer, Long> shown = new LinkedHashMap<>();
        Matcher m = Pattern.compile(
                "<td class=\"l\">(?:spaces|tabs|newlines|mixed)</td><td>\\d+</td><td>(\\d+)</td><td>([\\d,]+)</td>").matcher(html);
        while (m.find()) {
            shown.put(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2).replace(",", "")));
        }
        assertThat(shown).isEqualTo(expected);
        assertThat(shown).containsKey(TOK.idOf("       ")).containsKey(TOK.idOf("   "));
    }

    @Test
    void tracePageShowsAcceptedRejectedAndModelTokens() {
        Trace trace = Samples.trace();
        String html = TokenView.ofTrace(TOK, trace, "sample-trace.jsonl").toHtml(8);
        List<Shown> shown = PageTokens.in(html, "tokens");
        long accepted = 0;
        long rejected = 0;
        long model = 0;
        for (StepTrace s : trace.steps()) {
            accepted += s.accepted();
            rejected += s.guessed().length - s.accepted();
            model += s.modelToken() >= 0 ? 1 : 0;
        }
        assertThat(shown.stream().filter(s -> s.has("acc")).count()).isEqualTo(accepted).isPositive();
        assertThat(shown.stream().filter(s -> s.has("rej")).count()).isEqualTo(rejected);
        assertThat(shown.stream().filter(s -> s.has("mod")).count()).isEqualTo(model);
        assertThat(shown.stream().filter(s -> s.has("pr")).count()).isEqualTo(trace.promptIds().length);
        // Prompt, then accepted and model tokens spell exactly prompt + completion (then the end-of-text
        // token, marked special); rejected ones are extra.
        String emitted = PageTokens.join(shown.stream().filter(s -> !s.has("rej") && !s.has("sp")).toList());
        assertThat(emitted).isEqualTo(SOURCE);
        assertThat(shown.stream().filter(s -> s.has("sp")).map(Shown::id).toList()).containsExactly(TOK.eos());
        assertThat(shown.getLast().id()).isEqualTo(TOK.eos());
        // A rejected newline never happened, so it must not break the line.
        shown.stream().filter(s -> s.has("rej")).forEach(s -> assertThat(s.raw()).doesNotContain("\n"));
        // Guessed tokens carry their rule's colour class.
        shown.stream().filter(s -> s.has("acc") || s.has("rej")).forEach(s -> assertThat(s.cls()).matches(".*\\br\\d+\\b.*"));
        assertThat(html).contains("id=\"show-rej\"");
        // The tooltip (and the inspector bar, which shows it) names id, bytes, rule, outcome and step.
        shown.stream().filter(s -> s.has("acc")).forEach(s -> assertThat(s.title())
                .matches("id " + s.id() + " \".*\" \u00b7 rule \\S+ \u00b7 accepted \u00b7 step \\d+"));
        shown.stream().filter(s -> s.has("rej")).forEach(s -> assertThat(s.title()).contains(" \u00b7 rejected \u00b7 step "));
        shown.stream().filter(s -> s.has("mod")).forEach(s -> assertThat(s.title()).contains(" \u00b7 model \u00b7 step "));
    }

    @Test
    void ruleTableMatchesTheTracesOwnCounts() {
        Trace trace = Samples.trace();
        String html = TokenView.ofTrace(TOK, trace, "t").toHtml(8);
        Map<String, long[]> table = new LinkedHashMap<>();
        Matcher m = Pattern.compile("<tr class=\"rule\"><td><span class=\"sw r\\d+\"></span>([^<]+)</td><td>([\\d,]+)</td>"
                + "<td>([\\d,]+)</td><td>([\\d,]+)</td>.*?</td><td>([\\d,]+)</td>").matcher(html);
        while (m.find()) {
            table.put(m.group(1), new long[] {n(m.group(2)), n(m.group(3)), n(m.group(4)), n(m.group(5))});
        }
        // The simulator counted per rule independently and wrote it into the summary line.
        JsonNode perRule = trace.summary().path("per_rule");
        assertThat(table.keySet()).containsExactlyInAnyOrderElementsOf(() -> perRule.fieldNames());
        perRule.properties().forEach(e -> {
            long[] row = table.get(e.getKey());
            long d = e.getValue().path("drafted").asLong();
            long a = e.getValue().path("accepted").asLong();
            assertThat(row).as(e.getKey()).containsExactly(d, a, d - a, a);
        });
        // Sorted by forward passes saved.
        List<Long> saved = table.values().stream().map(r -> r[3]).toList();
        assertThat(saved).isSortedAccordingTo((x, y) -> Long.compare(y, x));
    }

    private static long n(String s) {
        return Long.parseLong(s.replace(",", ""));
    }

    @Test
    void treeVerificationIsCountedApart() throws Exception {
        String header = "{\"type\":\"header\",\"model\":\"m\",\"mode\":\"tree\",\"prompt\":\"\",\"prompt_ids\":[]}\n";
        String chain = header + "{\"type\":\"step\",\"guessed\":[5,6],\"rules\":[\"a\",\"b\"],\"accepted\":1,"
                + "\"model_token\":7,\"tree_size\":2}\n";
        String tree = chain.replace("\"tree_size\":2", "\"tree_size\":9");
        assertThat(view(chain)).doesNotContain("card-tree");
        assertThat(view(tree)).contains("id=\"card-tree\"><div class=\"v\">9</div>");
    }

    @Test
    void branchesNotFollowedAreShownAsRejectedAndCountedOnce() throws Exception {
        String header = "{\"type\":\"header\",\"model\":\"m\",\"mode\":\"auto\",\"prompt\":\"\",\"prompt_ids\":[]}\n";
        String step = header + "{\"type\":\"step\",\"guessed\":[5,6],\"rules\":[\"a\",\"a\"],\"accepted\":1,"
                + "\"model_token\":7,\"tree_size\":5,\"branches\":[{\"from\":0,\"guessed\":[8,9],\"rules\":[\"b\",\"b\"]},"
                + "{\"from\":0,\"guessed\":[8,10],\"rules\":[\"b\",\"b\"]}]}\n";
        String html = view(step);
        List<Shown> shown = PageTokens.in(html, "tokens");
        assertThat(shown.stream().filter(s -> s.has("alt")).map(Shown::id).toList()).containsExactly(8, 9, 8, 10);
        shown.stream().filter(s -> s.has("alt")).forEach(s -> assertThat(s.has("rej")).isTrue());
        assertThat(shown.stream().filter(s -> s.has("alt")).findFirst().orElseThrow().title()).contains("another branch");
        // the text is the accepted guess and the model's token only
        assertThat(PageTokens.join(shown.stream().filter(s -> !s.has("rej")).toList()))
                .isEqualTo(TOK.decode(new int[] {5, 7}));
        // rule b drafted 3 tree nodes (8 is shared by both branches), none accepted
        assertThat(html).containsPattern("<tr class=\"rule\"><td><span class=\"sw r\\d+\"></span>b</td><td>3</td><td>0</td>");
    }

    private static String view(String jsonl) throws Exception {
        Trace t = Trace.parse(new java.io.BufferedReader(new java.io.StringReader(jsonl)), "t.jsonl");
        return TokenView.ofTrace(TOK, t, "t.jsonl").toHtml(4);
    }

    @Test
    void pagesAreSelfContained() {
        String text = TokenView.ofIds(TOK, TOK.encode(SOURCE), "s").toHtml(8);
        String trace = TokenView.ofTrace(TOK, Samples.trace(), "t").toHtml(8);
        for (String html : List.of(text, trace)) {
            assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
            assertThat(html).doesNotContainPattern("(?i)<(link|img|iframe)\\b").doesNotContainPattern("(?i)\\bsrc=")
                    .doesNotContain("http://").doesNotContain("https://").doesNotContain("url(").doesNotContain("@import");
            assertThat(html).contains("<pre id=\"js-errors\" hidden></pre>");
        }
    }

    @Test
    void idsFromAnotherModelAreRejected() {
        assertThatThrownBy(() -> TokenView.ofIds(TOK, new int[] {5, 100_500}, "x.py")).isInstanceOf(RsdException.class)
                .hasMessageContaining("x.py token 1: token id 100500 is outside the vocabulary");
    }

    @Test
    void htmlInTokensIsEscaped() {
        int[] ids = TOK.encode("a<b && c>\"d\" <script>");
        String html = TokenView.ofIds(TOK, ids, "<x>").toHtml(4);
        String area = html.substring(html.indexOf("<pre class=\"tokens\""), html.indexOf("</pre>", html.indexOf("<pre class=\"tokens\"")));
        assertThat(area).doesNotContain("<script").doesNotContain("<b");
        assertThat(html).contains("&lt;x&gt;").doesNotContain("<x>");
        assertThat(PageTokens.join(PageTokens.in(html, "tokens"))).isEqualTo("a<b && c>\"d\" <script>");
    }

    @Test
    void ansiViewSpellsTheTextAndStrikesRejectedGuesses() {
        Trace trace = Samples.trace();
        String ansi = TokenView.ofTrace(TOK, trace, "t").toAnsi(8);
        String plain = ansi.replaceAll("\u001b\\[[0-9;]*m", "");
        String someRule = trace.steps().stream().filter(st -> st.rules().length > 0).findFirst().orElseThrow().rules()[0];
        assertThat(plain).contains("Rules").contains("Whitespace tokens").contains(someRule);
        assertThat(ansi).contains("\u001b[9m"); // strikethrough for rejected guesses
        String text = TokenView.ofIds(TOK, TOK.encode(SOURCE), "s").toAnsi(8).replaceAll("\u001b\\[[0-9;]*m", "");
        String body = text.substring(text.indexOf("\n\n") + 2, text.indexOf("\n\nWhitespace tokens"));
        assertThat(body.replace("\u21b5", "").replace("\u00b7", " ").replace("\u21e5", "\t")).isEqualTo(SOURCE);
    }

    @Test
    void specialTokensAreMarked() {
        FakeTokenizer fake = FakeTokenizer.of("def", " fibonacci");
        int[] ids = {fake.bos(), fake.idOf("def"), fake.idOf(" fibonacci")};
        List<Shown> shown = PageTokens.in(TokenView.ofIds(fake, ids, "s").toHtml(3), "tokens");
        assertThat(shown.get(0).cls()).contains("sp");
        assertThat(shown.get(1).cls()).doesNotContain("sp");
        assertThat(Arrays.stream(ids).boxed().toList()).containsExactlyElementsOf(shown.stream().map(Shown::id).toList());
    }
}
