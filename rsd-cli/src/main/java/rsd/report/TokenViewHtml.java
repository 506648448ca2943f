package rsd.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import rsd.report.TokenView.Role;
import rsd.report.TokenView.RuleRow;
import rsd.report.TokenView.SpaceRow;
import rsd.report.TokenView.Tok;

/** Renders a {@link TokenView} as one HTML page with inline style and script only. */
final class TokenViewHtml {
    private final TokenView v;
    private final int colors;
    private final StringBuilder sb = new StringBuilder(1 << 16);

    TokenViewHtml(TokenView view, int colors) {
        this.v = view;
        this.colors = colors;
    }

    String render() {
        String title = v.isTrace() ? "rsd trace \u2013 " + v.source : "rsd tokens \u2013 " + v.source;
        Html.open(sb, title, css());
        if (v.isTrace()) {
            Trace t = v.trace;
            sb.append("<h1>Speculative decoding trace</h1>\n<p class=\"sub\">")
                    .append(Html.esc(v.source)).append(" \u00b7 model <b title=\"").append(Html.esc(t.model())).append("\">")
                    .append(Html.esc(fileName(t.model()))).append("</b> \u00b7 mode <b>").append(Html.esc(t.mode())).append("</b>")
                    .append(settingsLine(t.settings())).append("</p>\n");
            traceCards();
            traceTokens();
            ruleTable();
        } else {
            sb.append("<h1>Token view</h1>\n<p class=\"sub\">").append(Html.esc(v.source))
                    .append(" \u00b7 every token in its own colour; \u00b7 is a space, \u21e5 a tab, \u21b5 a newline")
                    .append("</p>\n");
            textCards();
            sb.append("<section id=\"tokens-section\"><h2>Tokens</h2>\n<pre class=\"tokens\" id=\"tokens\">");
            int i = 0;
            for (Tok t : v.body) {
                token(t, "c" + (i++ % colors), null);
            }
            sb.append("</pre>\n").append(hint()).append("</section>\n");
        }
        spaceTable();
        sb.append("<div id=\"inspector\">Hover a token to see its id and bytes.</div>\n");
        Html.close(sb, SCRIPT);
        return sb.toString();
    }

    private String css() {
        StringBuilder c = new StringBuilder(TOKEN_CSS);
        for (int i = 0; i < colors; i++) {
            c.append(".c").append(i).append("{background:")
                    .append(v.isTrace() ? Palette.neutral(i) : Palette.pastel(i)).append("}");
        }
        c.append('\n');
        for (int i = 0; i < Math.max(1, v.rules.size()); i++) {
            c.append(".r").append(i).append("{--rc:").append(Palette.rule(i)).append("}");
        }
        return c.append('\n').toString();
    }

    /** "models/rsd-code.gguf" shows as "rsd-code.gguf"; the full path stays in the tooltip. */
    private static String fileName(String model) {
        int slash = Math.max(model.lastIndexOf('/'), model.lastIndexOf('\\'));
        return slash >= 0 && slash < model.length() - 1 ? model.substring(slash + 1) : model;
    }

    private static String settingsLine(JsonNode settings) {
        if (settings == null || !settings.isObject() || settings.isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder(" \u00b7 ");
        boolean first = true;
        for (var e : settings.properties()) {
            if (!first) {
                s.append(", ");
            }
            first = false;
            s.append(Html.esc(e.getKey())).append('=').append(Html.esc(e.getValue().isValueNode()
                    ? e.getValue().asText() : e.getValue().toString()));
        }
        return s.toString();
    }

    private void card(String key, String value, String id) {
        sb.append("<div class=\"card\"").append(id == null ? "" : " id=\"" + id + "\"").append("><div class=\"v\">")
                .append(Html.esc(value)).append("</div><div class=\"k\">").append(Html.esc(key)).append("</div></div>");
    }

    private void textCards() {
        String text = TokenView.text(v.body);
        long ws = v.spaces.stream().mapToLong(SpaceRow::total).sum();
        long distinct = v.body.stream().mapToInt(Tok::id).distinct().count();
        sb.append("<div class=\"cards\">");
        card("tokens", Html.count(v.body.size()), "card-tokens");
        card("characters", Html.count(text.codePointCount(0, text.length())), null);
        card("characters per token", v.body.isEmpty() ? "\u2013"
                : Html.fmt((double) text.codePointCount(0, text.length()) / v.body.size(), 2), null);
        card("distinct tokens", Html.count(distinct), null);
        card("whitespace-only tokens", Html.count(ws) + (v.body.isEmpty() ? ""
                : " (" + Html.pct((double) ws / v.body.size()) + ")"), null);
        sb.append("</div>\n");
    }

    private void traceCards() {
        long accepted = v.count(Role.ACCEPTED);
        long rejected = v.count(Role.REJECTED);
        long model = v.count(Role.MODEL);
        long generated = accepted + model;
        int steps = v.trace.steps().size();
        double ms = v.trace.steps().stream().mapToDouble(s -> s.millis()).filter(d -> !Double.isNaN(d)).sum();
        JsonNode sum = v.trace.summary();
        sb.append("<div class=\"cards\">");
        card("generated tokens", Html.count(generated), "card-generated");
        card("forward passes", Html.count(steps), "card-passes");
        card("tokens per forward", steps == 0 ? "\u2013" : Html.fmt((double) generated / steps, 2), "card-tpf");
        card("guesses accepted", Html.count(accepted) + " / " + Html.count(accepted + rejected)
                + (accepted + rejected == 0 ? "" : " (" + Html.pct((double) accepted / (accepted + rejected)) + ")"),
                "card-acceptance");
        long tree = v.trace.steps().stream().mapToLong(st -> st.treeSize()).sum();
        if (tree > accepted + rejected) {
            // Tree verification checks alternatives too; only the followed branch is drawn above.
            card("guesses verified (all branches)", Html.count(tree), "card-tree");
        }
        if (sum.has("tokens_per_second")) {
            card("tokens / s", Html.fmt(sum.path("tokens_per_second").asDouble(), 1), "card-tps");
        }
        if (ms > 0) {
            card("decode time", Html.fmt(ms / 1000, 2) + " s", null);
        }
        sb.append("</div>\n");
    }

    private void traceTokens() {
        sb.append("<section id=\"tokens-section\"><h2>Prompt and generation</h2>\n<div class=\"legend\">");
        for (RuleRow r : v.rules) {
            sb.append("<span class=\"sw r").append(r.colour()).append("\"></span>").append(Html.esc(r.rule())).append(' ');
        }
        sb.append("<span class=\"gap\"></span><span class=\"t acc\">accepted</span> ")
                .append("<span class=\"t rej\">rejected</span> ")
                .append("<span class=\"t rej alt\">other branch</span> <span class=\"t c0\">model\u2019s own</span> ")
                .append("<span class=\"t pr c0\">prompt</span>")
                .append("<span class=\"pass\"></span> start of a forward pass")
                .append("<label class=\"toggle\"><input type=\"checkbox\" id=\"show-rej\" checked> show rejected guesses</label>")
                .append("</div>\n<pre class=\"tokens\" id=\"tokens\">");
        int i = 0;
        for (Tok t : v.prompt) {
            token(t, "pr c" + (i++ % colors), null);
        }
        int step = -1;
        int m = 0;
        for (Tok t : v.body) {
            if (t.step() != step) {
                if (step >= 0) {
                    sb.append("</span>");
                }
                step = t.step();
                sb.append("<span class=\"st\" data-s=\"").append(step + 1).append("\">");
            }
            switch (t.role()) {
                case ACCEPTED -> token(t, "acc r" + ruleColour(t.rule()), "accepted");
                case REJECTED -> token(t, (t.otherBranch() ? "rej alt r" : "rej r") + ruleColour(t.rule()),
                        t.otherBranch() ? "rejected, another branch verified in the same forward" : "rejected");
                default -> token(t, "mod c" + (m++ % colors), "model");
            }
        }
        if (step >= 0) {
            sb.append("</span>");
        }
        sb.append("</pre>\n").append(hint()).append("</section>\n");
    }

    private static String hint() {
        return "<p class=\"note\">\u00b7 space \u00b7 \u21e5 tab \u00b7 \u21b5 newline \u00b7 \\xNN a byte of a character split "
                + "between tokens \u00b7 hover a token for its id and exact bytes.</p>\n";
    }

    private int ruleColour(String rule) {
        for (RuleRow r : v.rules) {
            if (r.rule().equals(rule)) {
                return r.colour();
            }
        }
        return 0;
    }

    private void token(Tok t, String cls, String status) {
        String literal = Glyphs.literal(t.bytes());
        StringBuilder title = new StringBuilder("id ").append(t.id()).append(' ').append(literal);
        if (t.rule() != null) {
            title.append(" \u00b7 rule ").append(t.rule());
        }
        if (status != null) {
            title.append(" \u00b7 ").append(status);
        }
        if (t.step() >= 0) {
            title.append(" \u00b7 step ").append(t.step() + 1);
        }
        sb.append("<span class=\"t ").append(cls).append(t.special() ? " sp" : "").append("\" data-id=\"")
                .append(t.id()).append('"');
        // The title carries everything the inspector shows, so big pages hold it once per token.
        sb.append(" title=\"").append(Html.esc(title.toString())).append("\">");
        boolean breakLines = t.role() != Role.REJECTED; // a rejected newline never happened: no line break
        for (Glyphs.Run run : Glyphs.runs(t.bytes())) {
            switch (run.kind()) {
                case TEXT -> sb.append(Html.esc(run.text()));
                case SPACE, TAB -> sb.append("<span class=\"ws\">").append(run.text()).append("</span>");
                case NEWLINE -> sb.append("<span class=\"nl\">").append(run.text()).append("</span>")
                        .append(breakLines ? "\n" : "");
                case CONTROL -> sb.append("<span class=\"ctl\">").append(Html.esc(run.text())).append("</span>");
                case BYTE -> sb.append("<span class=\"bx\">").append(Html.esc(run.text())).append("</span>");
            }
        }
        sb.append("</span>");
    }

    private void ruleTable() {
        long generated = v.count(Role.ACCEPTED) + v.count(Role.MODEL);
        sb.append("<section id=\"rules-section\"><h2>Rules</h2>\n<table id=\"rules\"><thead><tr><th>Rule</th>")
                .append("<th>Drafted</th><th>Accepted</th><th>Rejected</th><th class=\"l\">Acceptance</th>")
                .append("<th>Passes saved</th><th>Saved per 100 tokens</th></tr></thead><tbody>\n");
        long d = 0;
        long a = 0;
        for (RuleRow r : v.rules) {
            d += r.drafted();
            a += r.accepted();
            ruleRow("<span class=\"sw r" + r.colour() + "\"></span>" + Html.esc(r.rule()), r.drafted(), r.accepted(),
                    generated, "rule");
        }
        if (v.rules.isEmpty()) {
            sb.append("<tr><td colspan=\"7\">No guesses in this trace (standard decoding?).</td></tr>\n");
        } else {
            ruleRow("all rules", d, a, generated, "total");
        }
        sb.append("</tbody></table>\n<p class=\"note\">A forward pass is saved for every accepted guess: the model ")
                .append("checked it in the same pass as the tokens before it. Rejected guesses cost a slightly larger ")
                .append("forward pass and nothing else (the output is unchanged).</p></section>\n");
    }

    private void ruleRow(String label, long drafted, long accepted, long generated, String cls) {
        double rate = drafted == 0 ? Double.NaN : (double) accepted / drafted;
        sb.append("<tr class=\"").append(cls).append("\"><td>").append(label).append("</td><td>")
                .append(Html.count(drafted)).append("</td><td>").append(Html.count(accepted)).append("</td><td>")
                .append(Html.count(drafted - accepted)).append("</td><td class=\"l\">")
                .append(Html.bar(rate, rate >= 0.5 ? "g" : rate >= 0.2 ? "b" : "r")).append(Html.pct(rate))
                .append("</td><td>").append(Html.count(accepted)).append("</td><td>")
                .append(generated == 0 ? "\u2013" : Html.fmt(100.0 * accepted / generated, 1)).append("</td></tr>\n");
    }

    private void spaceTable() {
        boolean trace = v.isTrace();
        long all = v.emitted(v.prompt) + v.emitted(v.body);
        sb.append("<section id=\"spaces-section\"><h2>Whitespace tokens</h2>\n<table id=\"spaces\"><thead><tr>")
                .append("<th>Token</th><th class=\"l\">Kind</th><th>Width</th><th>Id</th>");
        sb.append(trace ? "<th>In prompt</th><th>Generated</th><th>Guessed by a rule</th>" : "<th>Count</th>");
        sb.append("<th>At line start</th><th>Share of tokens</th></tr></thead><tbody>\n");
        long total = 0;
        // Bars relative to the most frequent whitespace token, so small shares still tell apart.
        long most = v.spaces.stream().mapToLong(SpaceRow::total).max().orElse(0);
        for (SpaceRow r : v.spaces) {
            total += r.total();
            sb.append("<tr class=\"space\"><td><span class=\"t c0 sample\">");
            for (Glyphs.Run run : Glyphs.runs(r.bytes())) {
                sb.append("<span class=\"").append(run.kind() == Glyphs.Kind.NEWLINE ? "nl" : "ws").append("\">")
                        .append(Html.esc(run.text())).append("</span>");
            }
            // Escapes say what a newline or tab token holds; a run of spaces says it better as dots.
            sb.append("</span>").append(r.kind().equals("spaces") ? ""
                    : " <code>" + Html.esc(Glyphs.literal(r.bytes())) + "</code>").append("</td><td class=\"l\">")
                    .append(r.kind()).append("</td><td>").append(r.width()).append("</td><td>").append(r.id()).append("</td>");
            if (trace) {
                sb.append("<td>").append(Html.count(r.inPrompt())).append("</td><td>").append(Html.count(r.inBody()))
                        .append("</td><td>").append(Html.count(r.guessed())).append("</td>");
            } else {
                sb.append("<td>").append(Html.count(r.inBody())).append("</td>");
            }
            sb.append("<td>").append(Html.count(r.atLineStart())).append("</td><td class=\"l\">")
                    .append(Html.bar(most == 0 ? 0 : (double) r.total() / most, "b"))
                    .append(all == 0 ? "\u2013" : Html.pct((double) r.total() / all)).append("</td></tr>\n");
        }
        if (v.spaces.isEmpty()) {
            sb.append("<tr><td colspan=\"9\">No whitespace-only tokens.</td></tr>\n");
        }
        sb.append("</tbody></table>\n<p class=\"note\">").append(Html.count(total)).append(" of ").append(Html.count(all))
                .append(" tokens are whitespace only. Llama 3 writes an indentation of N spaces as one token of N\u22121 ")
                .append("spaces; the last space joins the next word (\u00b7return).</p>\n");
        sb.append("<h2 class=\"sub2\">In the vocabulary</h2>\n<table id=\"vocab-spaces\"><thead><tr><th>Kind</th>")
                .append("<th>Tokens</th><th class=\"l\">Widths present (characters)</th></tr></thead><tbody>\n");
        for (TokenView.VocabSpaces r : v.vocabSpaces) {
            sb.append("<tr><td>").append(r.kind()).append("</td><td>").append(Html.count(r.count()))
                    .append("</td><td class=\"l wrap\">").append(TokenView.ranges(r.widths())).append("</td></tr>\n");
        }
        sb.append("</tbody></table></section>\n");
    }

    private static final String TOKEN_CSS = """
            .tokens{font-family:"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:13.5px;line-height:1.75;
              white-space:pre-wrap;word-break:break-all;margin:0;padding:14px;background:#fff;
              border:1px solid var(--line);border-radius:6px;max-height:none}
            .t{border-radius:3px;padding:2px 0}
            .t .ws{color:rgba(31,35,40,.38)}
            .t .nl{color:#8250df}
            .t .ctl{color:#953800}
            .t .bx{color:#953800;font-size:11px}
            .t.sp{outline:1px solid #8250df;color:#8250df;font-size:12px}
            .t.pr{opacity:.6}
            .t.acc{background:#c6efce;color:#0a3d17}
            .t.rej{background:#ffd7d5;color:#a40e26;text-decoration:line-through;text-decoration-thickness:2px}
            .t.acc,.t.rej{box-shadow:inset 0 -3px 0 var(--rc)}
            .t.rej.alt{background:#fff0ef;opacity:.75;font-size:12px;text-decoration-style:dotted}
            .st>.t:first-child{box-shadow:-1.5px 0 0 #8c959f}
            .st>.t.acc:first-child,.st>.t.rej:first-child{box-shadow:inset 0 -3px 0 var(--rc),-1.5px 0 0 #8c959f}
            .legend .pass{display:inline-block;width:2px;height:14px;background:#8c959f;vertical-align:-2px;margin-left:8px}
            .t:hover{outline:2px solid var(--accent);opacity:1}
            .st:hover .t{outline:1px dashed #8c959f}
            body.hide-rej .t.rej{display:none}
            .legend{display:flex;flex-wrap:wrap;align-items:center;gap:6px;margin:0 0 10px;font-size:13px}
            .legend .gap{width:14px}
            .legend .t{padding:1px 6px}
            .sw{display:inline-block;width:12px;height:12px;border-radius:3px;background:var(--rc);vertical-align:-1px;margin-right:5px}
            .toggle{margin-left:auto;color:var(--muted)}
            td code{white-space:pre}
            td.wrap{white-space:normal}
            h2.sub2{font-size:14px;margin:18px 0 8px}
            .sample{font-family:"DejaVu Sans Mono",monospace;padding:1px 3px}
            #inspector{position:fixed;left:0;right:0;bottom:0;background:#24292f;color:#f6f8fa;padding:6px 32px;
              font-family:"DejaVu Sans Mono",monospace;font-size:13px;white-space:pre}
            """;

    private static final String SCRIPT = """
            (function(){
              var ins=document.getElementById('inspector');
              document.addEventListener('mouseover',function(e){
                var t=e.target.closest?e.target.closest('.t[data-id]'):null;
                if(t){ins.textContent=t.title;}
              });
              var cb=document.getElementById('show-rej');
              if(cb){cb.addEventListener('change',function(){document.body.classList.toggle('hide-rej',!cb.checked);});}
            })();
            """;
}
