package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.metrics.RuleStats;
import rsd.report.PageTokens.Shown;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

/** The trace view on traces from rsd's real decode loop and rules (an oracle in place of the model). */
class DecoderTraceTest {
    private static final Tokenizer TOK = Cl100kVocabulary.tokenizer();

    @Test
    void pageShowsWhatTheDecoderDid() throws Exception {
        // Deterministic modes only: "auto" picks drafters from measured timings.
        for (String mode : List.of("rules", "indent", "lookup")) {
            var run = DecoderTraces.generate(TOK, mode, Samples.prompt(), Samples.completion());
            assertThat(run.result().text()).isEqualTo(Samples.completion());
            Trace trace = Trace.parse(new BufferedReader(new StringReader(run.jsonl())), mode + ".jsonl");
            String html = TokenView.ofTrace(TOK, trace, mode + ".jsonl").toHtml(8);
            Files.createDirectories(Path.of("target/pages"));
            Files.writeString(Path.of("target/pages/decoder-" + mode + ".html"), html);
            List<Shown> shown = PageTokens.in(html, "tokens");
            assertThat(PageTokens.join(shown.stream().filter(s -> !s.has("rej") && !s.has("pr")).toList()))
                    .startsWith(Samples.completion());
            long accepted = shown.stream().filter(s -> s.has("acc")).count();
            long drafted = accepted + shown.stream().filter(s -> s.has("rej")).count();
            assertThat(accepted).isEqualTo(run.result().acceptedTokens()).isPositive();
            long steps = run.result().steps().size();
            assertThat(html).contains("id=\"card-passes\"><div class=\"v\">" + Html.count(steps) + "</div>");
            // The rules table and the decoder's own per-rule counts agree wherever the trace shows every guess.
            if (drafted == run.result().draftedTokens()) {
                for (var e : run.result().perRule().entrySet()) {
                    RuleStats st = e.getValue();
                    if (st.drafted() > 0) {
                        assertThat(html).containsPattern("</span>" + java.util.regex.Pattern.quote(e.getKey())
                                + "</td><td>" + Html.count(st.drafted()) + "</td><td>" + Html.count(st.accepted()) + "</td>");
                    }
                }
            }
        }
    }
}
