package rsd.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rsd.error.RsdException;

/**
 * The HTML report of a bench run ({@code rsd bench --json} output): a table of modes, charts (tokens/s and
 * speed-up per mode, tokens-per-forward distribution, acceptance by rule, per-problem speed-up) and the run's
 * settings, model and machine, in one self-contained page. Reads the JSON tree leniently: extra fields are
 * ignored, missing optional ones ("machine", per-problem rows) leave their section out.
 */
public final class BenchReport {
    /** Acceptance at or above which a rule is marked as earning its keep; stated on the page. */
    static final double GOOD_ACCEPTANCE = 0.5;
    /** Acceptance below which most of a rule's guesses are wasted work. */
    static final double POOR_ACCEPTANCE = 0.2;

    private final JsonNode root;
    private final List<JsonNode> modes = new ArrayList<>();
    private final List<String> modeNames = new ArrayList<>();
    private final StringBuilder sb = new StringBuilder(1 << 16);

    private BenchReport(JsonNode root) {
        this.root = root;
        JsonNode m = root.path("modes");
        if (!m.isArray() || m.isEmpty()) {
            throw new RsdException("bench JSON has no \"modes\" array: is it the output of rsd bench --json?");
        }
        for (JsonNode mode : m) {
            String name = mode.path("mode").asText("");
            if (name.isEmpty()) {
                throw new RsdException("bench JSON: a mode entry has no \"mode\" name");
            }
            modes.add(mode);
            modeNames.add(name);
        }
    }

    /** Writes the report for {@code benchJson} to {@code html}. */
    public static void write(JsonNode benchJson, Path html) {
        String page = html(benchJson);
        try {
            Files.writeString(html, page, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RsdException("cannot write " + html + ": " + e.getMessage(), e);
        }
    }

    /** The report as one HTML document. */
    public static String html(JsonNode benchJson) {
        return new BenchReport(benchJson).render();
    }

    private String render() {
        String model = root.path("model").path("name").asText(root.path("model").path("file").asText("model"));
        String dataset = root.path("dataset").path("name").asText("dataset");
        Html.open(sb, "rsd bench \u2013 " + model + " \u2013 " + dataset, CSS);
        sb.append("<h1>Bench report</h1>\n<p class=\"sub\"><b>").append(Html.esc(model)).append("</b> on <b>")
                .append(Html.esc(dataset)).append("</b> (").append(Html.esc(root.path("dataset").path("problems").asText("?")))
                .append(" problems)");
        JsonNode machine = root.path("machine");
        if (machine.isObject() && machine.has("cpu")) {
            sb.append(" \u00b7 ").append(Html.esc(machine.path("cpu").asText()));
        }
        sb.append("</p>\n");
        headline();
        modeTable();
        timeTable();
        charts();
        ruleSections(true);
        problemChart();
        ruleSections(false);
        problemTable();
        runInfo();
        Html.close(sb, null);
        return sb.toString();
    }

    private static double num(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private JsonNode best() {
        return modes.stream().filter(m -> !isStandard(m))
                .max(Comparator.comparingDouble(m -> nanToMin(num(m, "speedup_vs_standard"))))
                .orElse(modes.getFirst());
    }

    private static double nanToMin(double v) {
        return Double.isNaN(v) ? Double.NEGATIVE_INFINITY : v;
    }

    private static boolean isStandard(JsonNode mode) {
        return mode.path("mode").asText().equals("standard");
    }

    private List<JsonNode> problems() {
        List<JsonNode> out = new ArrayList<>();
        root.path("problems").forEach(out::add);
        return out;
    }

    /** How many problems of a mode differ from standard decoding: the mode's own count, else its problem rows. */
    private long differing(JsonNode mode) {
        JsonNode n = mode.path("differing_problems");
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        String name = mode.path("mode").asText();
        return problems().stream().filter(p -> p.path("mode").asText().equals(name))
                .filter(p -> p.path("identical_to_standard").isBoolean() && !p.path("identical_to_standard").asBoolean())
                .count();
    }

    /**
     * TRUE or FALSE when the run compared the mode's outputs with standard decoding; null when it did not
     * (sampling, or no standard mode), which the page shows as "not compared" rather than as a pass.
     */
    private Boolean identical(JsonNode mode) {
        JsonNode v = mode.path("identical_to_standard");
        if (differing(mode) > 0 || (v.isBoolean() && !v.asBoolean())) {
            return Boolean.FALSE;
        }
        if (v.isBoolean()) {
            return Boolean.TRUE;
        }
        // No mode-level verdict: the problem rows decide if they all carry one.
        String name = mode.path("mode").asText();
        List<JsonNode> rows = problems().stream().filter(p -> p.path("mode").asText().equals(name)).toList();
        return !rows.isEmpty() && rows.stream().allMatch(p -> p.path("identical_to_standard").isBoolean()) ? Boolean.TRUE : null;
    }

    private void headline() {
        JsonNode best = best();
        sb.append("<div class=\"cards\" id=\"headline\">");
        if (!isStandard(best)) {
            // A bench JSON that measured the noise says whether the best mode is really fastest.
            JsonNode verdict = root.path("fastest_mode");
            String title = verdict.isMissingNode() || verdict.asText().equals(best.path("mode").asText()) ? "fastest mode"
                    : root.path("settings").path("repeat").asInt(1) < 3 ? "best measured mode (noise not measured: --repeat 3)"
                    : "best measured mode (inside the run-to-run noise)";
            card(title, best.path("mode").asText(), "card-best");
            card("speed-up vs standard", Html.fmt(num(best, "speedup_vs_standard"), 2) + "\u00d7", "card-speedup");
            card("tokens / s", Html.fmt(num(best, "tokens_per_second"), 1), null);
            card("tokens per forward", Html.fmt(num(best, "tokens_per_forward"), 2), null);
            card("guesses accepted", Html.pct(num(best, "acceptance_rate")), null);
            // Any mode that changes the output is a bug worth the loudest card, not only in the fastest mode.
            List<JsonNode> speculative = modes.stream().filter(m -> !isStandard(m)).toList();
            List<String> wrong = speculative.stream().filter(m -> identical(m) == Boolean.FALSE)
                    .map(m -> m.path("mode").asText()).toList();
            boolean allChecked = speculative.stream().allMatch(m -> identical(m) != null);
            String problems = best.path("problems").asText("?");
            card("outputs identical to standard", !wrong.isEmpty() ? "NO \u2013 " + String.join(", ", wrong)
                    : allChecked ? "yes (" + problems + "/" + problems + ")" : "not compared", "card-identical");
        } else {
            card("mode", best.path("mode").asText(), null);
            card("tokens / s", Html.fmt(num(best, "tokens_per_second"), 1), null);
        }
        sb.append("</div>\n");
    }

    private void card(String key, String value, String id) {
        boolean bad = value.startsWith("NO");
        sb.append("<div class=\"card").append(bad ? " alarm" : "").append("\"").append(id == null ? "" : " id=\"" + id + "\"")
                .append("><div class=\"v\">").append(Html.esc(value)).append("</div><div class=\"k\">").append(Html.esc(key))
                .append("</div></div>");
    }

    private void modeTable() {
        double maxSpeedup = modes.stream().mapToDouble(m -> nanToZero(num(m, "speedup_vs_standard"))).max().orElse(1);
        sb.append("<section><h2>Modes</h2>\n<div class=\"scroll\"><table id=\"modes\"><thead><tr><th>Mode</th><th>Problems</th><th>Tokens</th>")
                .append("<th>Time (s)</th><th>Tokens/s</th><th class=\"l\">Speed-up</th><th>Forward passes</th>")
                .append("<th>Tokens/forward</th><th>Accepted / drafted</th><th>Identical</th>")
                .append("</tr></thead><tbody>\n");
        JsonNode best = best();
        for (JsonNode m : modes) {
            String name = m.path("mode").asText();
            double sp = num(m, "speedup_vs_standard");
            sb.append("<tr class=\"mode").append(m == best && !isStandard(m) ? " best" : "").append("\"><td>")
                    .append("<span class=\"sw\" style=\"--rc:").append(Charts.hex(Charts.modeColour(name, modeNames)))
                    .append("\"></span>").append(Html.esc(name)).append("</td><td>")
                    .append(Html.esc(m.path("problems").asText("\u2013"))).append("</td><td>")
                    .append(Html.count(m.path("total_tokens").asLong())).append("</td><td>")
                    .append(Html.fmt(num(m, "elapsed_s"), 1)).append("</td><td>")
                    .append(Html.fmt(num(m, "tokens_per_second"), 2)).append("</td><td class=\"l\">")
                    .append(Html.bar(maxSpeedup <= 0 ? 0 : sp / maxSpeedup, sp >= 1 ? "g" : "r"))
                    .append(Html.fmt(sp, 2)).append("\u00d7</td><td>")
                    .append(Html.count(m.path("forward_passes").asLong())).append("</td><td>")
                    .append(Html.fmt(num(m, "tokens_per_forward"), 2)).append("</td><td>")
                    .append(isStandard(m) ? "\u2013" : m.path("drafted_tokens").asLong() == 0 ? "no guesses"
                            : Html.pct(num(m, "acceptance_rate")) + " <span class=\"muted\">("
                            + Html.count(m.path("accepted_tokens").asLong()) + " / "
                            + Html.count(m.path("drafted_tokens").asLong()) + ")</span>").append("</td><td>");
            if (isStandard(m)) {
                sb.append("reference");
            } else if (identical(m) == null) {
                sb.append("<span class=\"badge mid\">not compared</span>");
            } else if (identical(m)) {
                sb.append("<span class=\"badge good\">identical</span>");
            } else {
                long diff = differing(m);
                sb.append("<span class=\"badge bad\">DIFFERS").append(diff > 0 ? " on " + diff : "").append("</span>");
            }
            sb.append("</td></tr>\n");
        }
        sb.append("</tbody></table></div>\n<p class=\"note\">Speed-up = tokens/s of the mode \u00f7 tokens/s of standard ")
                .append("decoding, same run, prompts and settings. Tokens/forward = generated tokens \u00f7 forward passes ")
                .append("(1.00 for standard decoding). Greedy speculative decoding must produce exactly the standard ")
                .append("output; \u201cDIFFERS\u201d marks a bug, not a trade-off.</p></section>\n");
    }

    /**
     * Where each mode's time went (results written since rsd bench has recorded it): prefill and set-up,
     * decode steps, their speed-up alone, and the mean in-run time of a step by forward size.
     */
    private void timeTable() {
        if (modes.stream().noneMatch(m -> m.has("decode_steps_s"))) {
            return;
        }
        double standardPerToken = modes.stream().filter(BenchReport::isStandard)
                .mapToDouble(m -> num(m, "decode_steps_s") / m.path("total_tokens").asDouble()).findFirst().orElse(Double.NaN);
        sb.append("<section><h2>Where the time went</h2>\n<div class=\"scroll\"><table id=\"time\"><thead><tr>")
                .append("<th>Mode</th><th>Prefill and set-up (s)</th><th>Decode steps (s)</th><th>Steps speed-up</th>")
                .append("<th class=\"l\">Mean step (ms) by forward size T, steps in brackets</th></tr></thead><tbody>\n");
        for (JsonNode m : modes) {
            double steps = num(m, "decode_steps_s");
            double perToken = steps / m.path("total_tokens").asDouble();
            StringBuilder curve = new StringBuilder();
            m.path("step_ms_by_size").properties().forEach(e -> curve.append(curve.isEmpty() ? "" : " \u00b7 ")
                    .append("T=").append(e.getKey()).append(": ").append(Html.fmt(e.getValue().asDouble(), 2))
                    .append(" <span class=\"muted\">(").append(Html.count(m.path("forward_sizes").path(e.getKey()).asLong()))
                    .append(")</span>"));
            sb.append("<tr class=\"time\"><td>").append(Html.esc(m.path("mode").asText())).append("</td><td>")
                    .append(Html.fmt(Math.max(0, num(m, "elapsed_s") - steps), 2)).append("</td><td>")
                    .append(Html.fmt(steps, 2)).append("</td><td>")
                    .append(Double.isNaN(standardPerToken) || !(perToken > 0) ? "\u2013"
                            : Html.fmt(standardPerToken / perToken, 2) + "\u00d7").append("</td><td class=\"l\">")
                    .append(curve.isEmpty() ? "\u2013" : curve.toString()).append("</td></tr>\n");
        }
        sb.append("</tbody></table></div>\n<p class=\"note\">Prefill and set-up (elapsed time minus the decode steps) is the ")
                .append("same work in every mode, so it dilutes every speed-up. The step times are what a forward over T ")
                .append("tokens cost inside the running decode (with drafting and verification), next to the isolated cost ")
                .append("curve of <code>rsd bench-engine</code>.</p></section>\n");
    }

    private static double nanToZero(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    private void charts() {
        Map<String, Double> tps = new LinkedHashMap<>();
        Map<String, Double> speedup = new LinkedHashMap<>();
        for (JsonNode m : modes) {
            tps.put(m.path("mode").asText(), nanToZero(num(m, "tokens_per_second")));
            speedup.put(m.path("mode").asText(), nanToZero(num(m, "speedup_vs_standard")));
        }
        sb.append("<div class=\"grid\">\n");
        chart("chart-tps", "Tokens per second", "higher is better",
                Charts.modeBars("chart-tps", tps, modeNames, "tokens / s", "0.0", null, 560, 300));
        chart("chart-speedup", "Speed-up over standard decoding", "dashed line: no gain",
                Charts.modeBars("chart-speedup", speedup, modeNames, "speed-up (\u00d7)", "0.00\u00d7", 1.0, 560, 300));
        Map<String, List<Double>> tpf = new LinkedHashMap<>();
        for (JsonNode p : problems()) {
            double v = num(p, "tokens_per_forward");
            if (!Double.isNaN(v)) {
                tpf.computeIfAbsent(p.path("mode").asText(), k -> new ArrayList<>()).add(v);
            }
        }
        if (!tpf.isEmpty()) {
            Map<String, List<Double>> ordered = new LinkedHashMap<>();
            modeNames.stream().filter(tpf::containsKey).forEach(m -> ordered.put(m, tpf.get(m)));
            chart("chart-tpf", "Tokens per forward pass, per problem", "box: middle half of the problems, line: median, whiskers: range without outliers",
                    Charts.boxes("chart-tpf", ordered, modeNames, "tokens per forward", 560, 300));
        }
        JsonNode best = best();
        Map<String, long[]> rules = perRule(best.path("per_rule"));
        if (!rules.isEmpty()) {
            List<String> order = sortedRules(rules);
            chart("chart-rules", "Acceptance by rule \u2013 " + best.path("mode").asText(),
                    "green: accepted guesses (forward passes saved); red: rejected guesses",
                    Charts.ruleBars("chart-rules", order, rules, 560, Math.max(220, 70 + 34 * order.size())));
        }
        sb.append("</div>\n");
    }

    private void chart(String id, String title, String note, String svg) {
        sb.append("<section class=\"chart\" id=\"").append(id).append("-section\"><h2>").append(Html.esc(title))
                .append("</h2>\n").append(svg).append("\n<p class=\"note\">").append(Html.esc(note)).append("</p></section>\n");
    }

    private void problemChart() {
        Map<String, Double> standard = new LinkedHashMap<>();
        Map<String, Map<String, Double>> byMode = new LinkedHashMap<>();
        for (JsonNode p : problems()) {
            if (p.path("mode").asText().equals("standard")) {
                standard.put(p.path("task_id").asText(), num(p, "tokens_per_second"));
            }
        }
        if (standard.isEmpty()) {
            if (!problems().isEmpty()) {
                sb.append("<section><h2>Per-problem speed-up</h2><p class=\"note\">This run has no standard mode, so there ")
                        .append("is nothing to compare each problem against.</p></section>\n");
            }
            return;
        }
        for (String mode : modeNames) {
            if (mode.equals("standard")) {
                continue;
            }
            Map<String, Double> s = new LinkedHashMap<>();
            for (JsonNode p : problems()) {
                Double base = standard.get(p.path("task_id").asText());
                double v = num(p, "tokens_per_second");
                if (p.path("mode").asText().equals(mode) && base != null && base > 0 && !Double.isNaN(v)) {
                    s.put(p.path("task_id").asText(), v / base);
                }
            }
            if (!s.isEmpty()) {
                byMode.put(mode, s);
            }
        }
        if (byMode.isEmpty()) {
            return;
        }
        String sortBy = best().path("mode").asText();
        Map<String, Double> key = byMode.getOrDefault(sortBy, byMode.values().iterator().next());
        List<String> tasks = new ArrayList<>(standard.keySet());
        tasks.sort(Comparator.comparingDouble((String t) -> -key.getOrDefault(t, 0.0)));
        long below = key.values().stream().filter(v -> v < 1).count();
        chart("chart-problems", "Speed-up per problem", "dashed line: standard decoding; problems sorted by the speed-up of " + sortBy + "; "
                        + below + " of " + key.size() + " problems are slower than standard decoding in that mode",
                Charts.problemBars("chart-problems", tasks, byMode, modeNames, 1140, tasks.size() > 40 ? 300 : 340));
    }

    static Map<String, long[]> perRule(JsonNode perRule) {
        Map<String, long[]> out = new LinkedHashMap<>();
        if (perRule.isObject()) {
            perRule.properties().forEach(e -> out.put(e.getKey(),
                    new long[] {e.getValue().path("drafted").asLong(), e.getValue().path("accepted").asLong()}));
        }
        return out;
    }

    /** Rules by forward passes saved (accepted guesses), most first. */
    static List<String> sortedRules(Map<String, long[]> rules) {
        List<String> order = new ArrayList<>(rules.keySet());
        order.sort(Comparator.comparingLong((String r) -> -rules.get(r)[1]).thenComparing(r -> r));
        return order;
    }

    /** The verdict shown for a rule; thresholds are explained under the table. */
    static String verdict(long drafted, long accepted) {
        if (drafted == 0) {
            return "idle";
        }
        double rate = (double) accepted / drafted;
        return rate >= GOOD_ACCEPTANCE ? "earns its keep" : rate >= POOR_ACCEPTANCE ? "marginal" : "mostly wasted";
    }

    /** The fastest mode's rule table (first) or the other modes' tables, folded (second). */
    private void ruleSections(boolean bestOnly) {
        JsonNode best = best();
        List<JsonNode> withRules = modes.stream().filter(m -> !perRule(m.path("per_rule")).isEmpty())
                .filter(m -> (m == best) == bestOnly).toList();
        for (JsonNode m : withRules) {
            boolean open = m == best;
            String name = m.path("mode").asText();
            Map<String, long[]> rules = perRule(m.path("per_rule"));
            long tokens = m.path("total_tokens").asLong();
            sb.append(open ? "<section class=\"rules\">" : "<section class=\"rules\"><details>")
                    .append(open ? "<h2>" : "<summary><h2>").append("Which rules earn their keep \u2013 ")
                    .append(Html.esc(name)).append(open ? "</h2>\n" : "</h2></summary>\n");
            sb.append("<table class=\"rule-table\" data-mode=\"").append(Html.esc(name)).append("\"><thead><tr><th>Rule</th>")
                    .append("<th>Drafted</th><th>Accepted</th><th class=\"l\">Acceptance</th><th>Passes saved</th>")
                    .append("<th>Saved per 100 tokens</th><th>Wasted guesses per saved pass</th><th class=\"l\">Verdict</th>")
                    .append("</tr></thead><tbody>\n");
            long d = 0;
            long a = 0;
            for (String rule : sortedRules(rules)) {
                long[] da = rules.get(rule);
                d += da[0];
                a += da[1];
                ruleRow(rule, da[0], da[1], tokens, "rule");
            }
            ruleRow("all rules", d, a, tokens, "total");
            sb.append("</tbody></table>\n<p class=\"note\">Every accepted guess is a forward pass saved. A rejected guess ")
                    .append("costs a slightly larger forward pass. Verdict: \u201cearns its keep\u201d at \u2265 ")
                    .append(Math.round(GOOD_ACCEPTANCE * 100)).append("% acceptance, \u201cmostly wasted\u201d below ")
                    .append(Math.round(POOR_ACCEPTANCE * 100)).append("%.</p>")
                    .append(open ? "</section>\n" : "</details></section>\n");
        }
    }

    private void ruleRow(String rule, long drafted, long accepted, long tokens, String cls) {
        double rate = drafted == 0 ? Double.NaN : (double) accepted / drafted;
        String verdict = verdict(drafted, accepted);
        String badge = switch (verdict) {
            case "earns its keep" -> "good";
            case "mostly wasted" -> "bad";
            default -> "mid";
        };
        sb.append("<tr class=\"").append(cls).append("\"><td>").append(Html.esc(rule)).append("</td><td>")
                .append(Html.count(drafted)).append("</td><td>").append(Html.count(accepted)).append("</td><td class=\"l\">")
                .append(Html.bar(rate, rate >= GOOD_ACCEPTANCE ? "g" : rate >= POOR_ACCEPTANCE ? "b" : "r"))
                .append(Html.pct(rate)).append("</td><td>").append(Html.count(accepted)).append("</td><td>")
                .append(tokens == 0 ? "\u2013" : Html.fmt(100.0 * accepted / tokens, 1)).append("</td><td>")
                .append(accepted == 0 ? "\u2013" : Html.fmt((double) (drafted - accepted) / accepted, 2)).append("</td><td class=\"l\">");
        if (cls.equals("rule")) {
            sb.append("<span class=\"badge ").append(badge).append("\">").append(verdict).append("</span>");
        }
        sb.append("</td></tr>\n");
    }

    private void problemTable() {
        List<JsonNode> rows = problems();
        if (rows.isEmpty()) {
            return;
        }
        sb.append("<section><details id=\"problems-details\"><summary><h2>All ").append(rows.size())
                .append(" problem runs</h2></summary>\n<div class=\"scroll\"><table id=\"problems\"><thead><tr><th>Task</th><th class=\"l\">Mode</th>")
                .append("<th>Tokens</th><th>Time (s)</th><th>Tokens/s</th><th>Forward passes</th><th>Tokens/forward</th>")
                .append("<th>Drafted</th><th>Accepted</th><th>Identical</th></tr></thead><tbody>\n");
        for (JsonNode p : rows) {
            JsonNode same = p.path("identical_to_standard");
            boolean differs = same.isBoolean() && !same.asBoolean();
            sb.append("<tr class=\"problem").append(differs ? " differs" : "").append("\"><td>")
                    .append(Html.esc(p.path("task_id").asText())).append("</td><td class=\"l\">")
                    .append(Html.esc(p.path("mode").asText())).append("</td><td>").append(Html.count(p.path("tokens").asLong()))
                    .append("</td><td>").append(Html.fmt(num(p, "elapsed_s"), 2)).append("</td><td>")
                    .append(Html.fmt(num(p, "tokens_per_second"), 2)).append("</td><td>")
                    .append(Html.count(p.path("forward_passes").asLong())).append("</td><td>")
                    .append(Html.fmt(num(p, "tokens_per_forward"), 2)).append("</td><td>")
                    .append(Html.count(p.path("drafted").asLong())).append("</td><td>")
                    .append(Html.count(p.path("accepted").asLong())).append("</td><td>")
                    .append(same.isBoolean() ? (differs ? "<span class=\"badge bad\">DIFFERS</span>" : "yes") : "\u2013")
                    .append("</td></tr>\n");
        }
        sb.append("</tbody></table></div></details></section>\n");
    }

    private void runInfo() {
        sb.append("<div class=\"grid three\" id=\"run-info\">\n");
        keyValues("Model", root.path("model"));
        JsonNode settings = root.path("settings");
        keyValues("Settings", settings);
        keyValues("Machine", root.path("machine"));
        sb.append("</div>\n");
    }

    private void keyValues(String title, JsonNode obj) {
        sb.append("<section class=\"kv\"><h2>").append(Html.esc(title)).append("</h2>\n");
        if (!obj.isObject() || obj.isEmpty()) {
            sb.append("<p class=\"note\">not recorded in this run</p></section>\n");
            return;
        }
        sb.append("<table>");
        obj.properties().forEach(e -> {
            JsonNode v = e.getValue();
            sb.append("<tr><th class=\"l\">").append(Html.esc(e.getKey())).append("</th><td class=\"l\">")
                    .append(Html.esc(v.isValueNode() ? v.asText() : v.toString())).append("</td></tr>");
        });
        sb.append("</table></section>\n");
    }

    private static final String CSS = """
            .scroll{overflow-x:auto}
            .muted{color:var(--muted)}
            #modes th,.rule-table th{white-space:normal;vertical-align:bottom}
            .cards .card{flex:1 1 150px}
            .grid{display:grid;grid-template-columns:1fr 1fr;gap:0 18px}
            .grid.three{grid-template-columns:1fr 1fr 1fr}
            .grid>section{margin-bottom:18px}
            .chart svg{width:100%;height:auto;display:block}
            .card.alarm{border-color:var(--bad);background:var(--bad-bg)}
            .card.alarm .v{color:var(--bad)}
            tr.best td{background:#f0f7ff}
            tr.differs td{background:var(--bad-bg)}
            .sw{display:inline-block;width:11px;height:11px;border-radius:3px;background:var(--rc);margin-right:7px;vertical-align:-1px}
            details>summary{cursor:pointer;list-style:none}
            details>summary h2{display:inline}
            details>summary::before{content:'\\25b8  ';color:var(--muted)}
            details[open]>summary::before{content:'\\25be  '}
            .kv th{text-transform:none;font-size:13px;letter-spacing:0;width:38%}
            .kv td,.kv th{white-space:normal;word-break:break-word}
            """;
}
