package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;

/** Golden-structure tests of the bench report: sections, rows and charts, read back from the HTML. */
class BenchReportTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static ObjectNode sample() {
        try {
            return (ObjectNode) JSON.readTree(Samples.resource("sample-bench.json"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> all(String html, String regex) {
        Matcher m = Pattern.compile(regex).matcher(html);
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    @Test
    void theBestModeIsCalledFastestOnlyWhenTheJsonSaysItBeatTheNoise() {
        ObjectNode beat = sample();
        beat.put("fastest_mode", "rules+lookup");
        assertThat(BenchReport.html(beat)).contains("<div class=\"v\">rules+lookup</div><div class=\"k\">fastest mode</div>");

        ObjectNode overlap = sample();
        overlap.putNull("fastest_mode");
        ((ObjectNode) overlap.get("settings")).put("repeat", 3);
        assertThat(BenchReport.html(overlap)).doesNotContain("fastest mode")
                .contains("<div class=\"v\">rules+lookup</div><div class=\"k\">best measured mode (inside the run-to-run noise)</div>");

        ((ObjectNode) overlap.get("settings")).put("repeat", 1);
        assertThat(BenchReport.html(overlap)).doesNotContain("fastest mode").contains("noise not measured: --repeat 3");
    }

    @Test
    void hasModeTableChartsAndRunInfo() {
        JsonNode bench = sample();
        String html = BenchReport.html(bench);
        assertThat(all(html, "<tr class=\"mode[^\"]*\"><td><span class=\"sw\"[^>]*></span>([^<]+)</td>"))
                .containsExactly("standard", "rules", "rules+lookup");
        assertThat(all(html, "<svg id='([^']+)'")).containsExactly("chart-tps", "chart-speedup", "chart-tpf",
                "chart-rules", "chart-problems");
        // The headline names the fastest mode and its speed-up from the JSON.
        assertThat(html).contains("<div class=\"v\">rules+lookup</div><div class=\"k\">fastest mode</div>");
        assertThat(html).contains("<div class=\"v\">1.65\u00d7</div>");
        assertThat(html).contains("<div class=\"v\">yes (20/20)</div>");
        assertThat(all(html, "<section class=\"kv\"><h2>([^<]+)</h2>")).containsExactly("Model", "Settings", "Machine");
        assertThat(html).contains("<th class=\"l\">quantization</th><td class=\"l\">Q8_0</td>");
        assertThat(all(html, "<tr class=\"problem[^\"]*\"><td>([^<]+)</td>")).hasSize(60);
    }

    @Test
    void timeTableSplitsPrefillFromStepsWhenTheResultHasThem() {
        ObjectNode bench = sample();
        assertThat(BenchReport.html(bench)).doesNotContain("id=\"time\"");
        double[] steps = {8.0, 5.0, 4.0};
        int i = 0;
        for (JsonNode m : bench.path("modes")) {
            ObjectNode o = (ObjectNode) m;
            o.put("decode_steps_s", steps[i++]);
            o.putObject("forward_sizes").put("1", 100).put("4", 7);
            o.putObject("step_ms_by_size").put("1", 1.25).put("4", 2.5);
        }
        String html = BenchReport.html(bench);
        List<String> rows = all(html, "<tr class=\"time\">(.*?)</tr>");
        assertThat(rows).hasSize(3);
        JsonNode standard = bench.path("modes").get(0);
        // prefill = elapsed - steps; the steps speed-up is per token against standard's
        assertThat(rows.get(0)).startsWith("<td>standard</td><td>" + Html.fmt(standard.path("elapsed_s").asDouble() - 8.0, 2)
                + "</td><td>8.00</td><td>1.00\u00d7</td>");
        JsonNode rules = bench.path("modes").get(1);
        double expected = (8.0 / standard.path("total_tokens").asDouble()) / (5.0 / rules.path("total_tokens").asDouble());
        assertThat(rows.get(1)).contains("<td>" + Html.fmt(expected, 2) + "\u00d7</td>");
        assertThat(rows.get(1)).contains("T=1: 1.25 <span class=\"muted\">(100)</span> \u00b7 T=4: 2.50");
    }

    @Test
    void chartsCarryTheNumbers() {
        String html = BenchReport.html(sample());
        String tps = svg(html, "chart-tps");
        assertThat(tps).contains(">18.9<").contains(">14.6<").contains(">11.5<").contains(">rules+lookup<");
        assertThat(svg(html, "chart-speedup")).contains(">1.65\u00d7<").contains("stroke-dasharray:5.0,4.0");
        String rules = svg(html, "chart-rules");
        for (String rule : List.of("indent", "context-copy", "corpus-ngram", "docstring-close")) {
            assertThat(rules).contains(">" + rule + "<");
        }
        // One bar per problem and speculative mode, in the mode's colour (task labels are rotated, so drawn as paths).
        String problems = svg(html, "chart-problems");
        assertThat(Pattern.compile("<rect [^>]*style='fill:rgb\\(78,121,167\\)'").matcher(problems).results().count()).isEqualTo(20);
        assertThat(Pattern.compile("<rect [^>]*style='fill:rgb\\(242,142,43\\)'").matcher(problems).results().count()).isEqualTo(20);
    }

    private static String svg(String html, String id) {
        int start = html.indexOf("<svg id='" + id + "'");
        assertThat(start).as("svg " + id).isNotNegative();
        return html.substring(start, html.indexOf("</svg>", start) + 6);
    }

    @Test
    void ruleTableRanksRulesAndGivesVerdicts() {
        String html = BenchReport.html(sample());
        String best = html.substring(html.indexOf("<table class=\"rule-table\" data-mode=\"rules+lookup\""));
        best = best.substring(0, best.indexOf("</table>"));
        List<String> rules = all(best, "<tr class=\"rule\"><td>([^<]+)</td>");
        assertThat(rules).hasSize(8).startsWith("context-copy", "indent");
        List<Long> saved = all(best, "<tr class=\"rule\">(?:<td[^>]*>.*?</td>){4}<td>([\\d,]+)</td>").stream()
                .map(s -> Long.parseLong(s.replace(",", ""))).toList();
        assertThat(saved).hasSize(8).isSortedAccordingTo((x, y) -> Long.compare(y, x));
        assertThat(best).containsPattern("<td>corpus-ngram</td>.*<span class=\"badge bad\">mostly wasted</span>");
        assertThat(best).containsPattern("<td>indent</td>.*<span class=\"badge good\">earns its keep</span>");
        // The other speculative mode is there too, folded.
        assertThat(html).contains("<table class=\"rule-table\" data-mode=\"rules\"").contains("<details>");
    }

    @Test
    void aModeThatNeverGuessedSaysSo() {
        ObjectNode bench = sample();
        ((ObjectNode) bench.path("modes").get(1)).put("drafted_tokens", 0).put("accepted_tokens", 0).put("acceptance_rate", 0.0)
                .putObject("per_rule");
        String html = BenchReport.html(bench);
        assertThat(html).containsPattern("</span>rules</td>.*<td>no guesses</td>");
        assertThat(html).doesNotContain("data-mode=\"rules\"");
    }

    @Test
    void verdictThresholds() {
        assertThat(BenchReport.verdict(100, 50)).isEqualTo("earns its keep");
        assertThat(BenchReport.verdict(100, 49)).isEqualTo("marginal");
        assertThat(BenchReport.verdict(100, 20)).isEqualTo("marginal");
        assertThat(BenchReport.verdict(100, 19)).isEqualTo("mostly wasted");
        assertThat(BenchReport.verdict(0, 0)).isEqualTo("idle");
    }

    @Test
    void outputsThatDifferAreFlagged() {
        ObjectNode bench = sample();
        for (JsonNode p : bench.path("problems")) {
            if (p.path("mode").asText().equals("rules") && p.path("task_id").asText().equals("HumanEval/3")) {
                ((ObjectNode) p).put("identical_to_standard", false);
            }
        }
        String html = BenchReport.html(bench);
        assertThat(html).contains("<span class=\"badge bad\">DIFFERS on 1</span>");
        assertThat(all(html, "<tr class=\"problem differs\"><td>([^<]+)</td>")).containsExactly("HumanEval/3");
        // Only the mode with the differing problem is flagged.
        assertThat(all(html, "<span class=\"badge (good|bad)\">(?:identical|DIFFERS on)")).containsExactly("bad", "good");
        assertThat(html).contains("class=\"card alarm\"").doesNotContain("yes (20/20)").contains("rules+lookup");
    }

    @Test
    void samplingRunsAreNotCompared() {
        ObjectNode bench = sample();
        bench.path("modes").forEach(m -> ((ObjectNode) m).putNull("identical_to_standard"));
        bench.path("problems").forEach(p -> ((ObjectNode) p).putNull("identical_to_standard"));
        String html = BenchReport.html(bench);
        assertThat(all(html, "<span class=\"badge mid\">(not compared)</span>")).hasSize(2);
        assertThat(html).contains("<div class=\"v\">not compared</div>").doesNotContain("badge good\">identical");
    }

    @Test
    void modeLevelDifferingCountWins() {
        ObjectNode bench = sample();
        ((ObjectNode) bench.path("modes").get(2)).put("differing_problems", 2).putNull("identical_to_standard");
        String html = BenchReport.html(bench);
        assertThat(html).contains("<span class=\"badge bad\">DIFFERS on 2</span>").contains("NO \u2013 rules+lookup");
    }

    @Test
    void toleratesMissingOptionalPartsAndExtraFields() {
        ObjectNode bench = sample();
        bench.remove("machine");
        bench.remove("problems");
        bench.put("future", "ignored");
        ((ObjectNode) bench.path("modes").get(0)).put("new_metric", 3);
        String html = BenchReport.html(bench);
        assertThat(html).contains("<h2>Machine</h2>\n<p class=\"note\">not recorded in this run</p>");
        assertThat(all(html, "<svg id='([^']+)'")).containsExactly("chart-tps", "chart-speedup", "chart-rules");
    }

    @Test
    void withoutStandardModeThereIsNoPerProblemSpeedup() {
        ObjectNode bench = sample();
        ArrayNode modes = (ArrayNode) bench.path("modes");
        modes.remove(0);
        ArrayNode problems = JSON.createArrayNode();
        bench.path("problems").forEach(p -> {
            if (!p.path("mode").asText().equals("standard")) {
                problems.add(p);
            }
        });
        bench.set("problems", problems);
        String html = BenchReport.html(bench);
        assertThat(html).contains("This run has no standard mode");
        assertThat(all(html, "<svg id='([^']+)'")).doesNotContain("chart-problems").contains("chart-tpf");
    }

    @Test
    void rejectsJsonThatIsNotABenchResult() {
        assertThatThrownBy(() -> BenchReport.html(JSON.createObjectNode())).isInstanceOf(RsdException.class)
                .hasMessageContaining("no \"modes\" array");
        ObjectNode noName = JSON.createObjectNode();
        noName.putArray("modes").addObject().put("tokens_per_second", 3);
        assertThatThrownBy(() -> BenchReport.html(noName)).isInstanceOf(RsdException.class)
                .hasMessageContaining("no \"mode\" name");
    }

    @Test
    void pageIsSelfContainedWithUniqueIds(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("r.html");
        BenchReport.write(sample(), out);
        String html = Files.readString(out);
        assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
        assertThat(html).doesNotContainPattern("(?i)<(link|img|iframe|image)\\b").doesNotContainPattern("(?i)\\b(src|href)=")
                .doesNotContain("url(http").doesNotContain("@import").doesNotContain("https://");
        // Every http:// left is an XML namespace name, which browsers never fetch.
        assertThat(html.replace("xmlns='http://www.w3.org/2000/svg'", "")
                .replace("xmlns:xlink='http://www.w3.org/1999/xlink'", "")
                .replace("xmlns:jfreesvg='http://www.jfree.org/jfreesvg/svg'", "")).doesNotContain("http://");
        List<String> ids = all(html, "\\sid=[\"']([^\"']+)[\"']");
        Set<String> unique = new HashSet<>(ids);
        assertThat(unique).hasSameSizeAs(ids);
    }
}
