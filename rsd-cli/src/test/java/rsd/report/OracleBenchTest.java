package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.tokenizer.Cl100kVocabulary;

/** The bench report on a result of rsd's real runner, modes and rules (oracle model, real problems). */
class OracleBenchTest {
    static final Path HUMANEVAL = Path.of("src/test/resources/rsd/report/humaneval-5.jsonl");

    @Test
    void reportShowsTheRunnersNumbers() throws Exception {
        ObjectNode bench = OracleBench.run(Cl100kVocabulary.tokenizer(), OracleBench.humanEval(HUMANEVAL, 5),
                List.of("standard", "indent", "rules", "lookup"), 0, 0);
        String html = BenchReport.html(bench);
        Files.createDirectories(Path.of("target/pages"));
        Files.writeString(Path.of("target/pages/oracle-bench.html"), html);
        for (JsonNode m : bench.path("modes")) {
            String name = m.path("mode").asText();
            assertThat(m.path("identical_to_standard").asBoolean(true)).as(name).isTrue();
            assertThat(html).containsPattern("</span>" + java.util.regex.Pattern.quote(name) + "</td><td>5</td><td>"
                    + Html.count(m.path("total_tokens").asLong()) + "</td>");
            m.path("per_rule").properties().forEach(e -> {
                if (e.getValue().path("drafted").asLong() > 0) {
                    assertThat(html).contains("<td>" + e.getKey() + "</td><td>" + Html.count(e.getValue().path("drafted").asLong())
                            + "</td><td>" + Html.count(e.getValue().path("accepted").asLong()) + "</td>");
                }
            });
        }
        // The oracle writes the canonical solutions, so the rules must have found something to accept.
        assertThat(bench.path("modes").get(2).path("accepted_tokens").asLong()).isPositive();
    }
}
