package rsd.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;
import rsd.metrics.StepTrace;

class TraceTest {
    private static final String HEADER = "{\"type\":\"header\",\"model\":\"m\",\"mode\":\"rules\",\"prompt\":\"def\","
            + "\"prompt_ids\":[1,2],\"settings\":{\"temperature\":0}}\n";

    private static Trace parse(String jsonl) throws IOException {
        return Trace.parse(new BufferedReader(new StringReader(jsonl)), "t.jsonl");
    }

    @Test
    void readsHeaderStepsAndSummary() throws IOException {
        Trace t = parse(HEADER
                + "{\"type\":\"step\",\"position\":2,\"guessed\":[5,6,7],\"rules\":[\"indent\",\"copy\",\"copy\"],"
                + "\"accepted\":2,\"model_token\":9,\"tree_size\":3,\"ms\":12.5,\"future_field\":true}\n"
                + "\n"
                + "{\"type\":\"progress\",\"whatever\":1}\n"
                + "{\"type\":\"step\",\"position\":5,\"guessed\":[],\"rules\":[],\"accepted\":0,\"model_token\":-1,"
                + "\"tree_size\":0,\"ms\":3}\n"
                + "{\"type\":\"summary\",\"total_tokens\":3,\"tokens_per_second\":40.5}\n");
        assertThat(t.model()).isEqualTo("m");
        assertThat(t.mode()).isEqualTo("rules");
        assertThat(t.promptIds()).containsExactly(1, 2);
        assertThat(t.settings().path("temperature").asInt()).isZero();
        assertThat(t.steps()).hasSize(2);
        StepTrace s = t.steps().getFirst();
        assertThat(s.guessed()).containsExactly(5, 6, 7);
        assertThat(s.rules()).containsExactly("indent", "copy", "copy");
        assertThat(s.accepted()).isEqualTo(2);
        assertThat(s.modelToken()).isEqualTo(9);
        assertThat(s.millis()).isEqualTo(12.5);
        assertThat(t.steps().get(1).modelToken()).isEqualTo(-1);
        assertThat(t.summary().path("tokens_per_second").asDouble()).isEqualTo(40.5);
    }

    @Test
    void readsTheBranchesAStepDidNotFollowAndWritesThemBack() throws IOException {
        StepTrace written = new StepTrace(4, new int[] {5, 6}, new String[] {"lookup", "lookup"}, 1, 9, 5, 2.0,
                List.of(new StepTrace.Branch(0, new int[] {7, 8}, new String[] {"patterns", "patterns"}),
                        new StepTrace.Branch(1, new int[] {3}, new String[] {"indent"})));
        Trace t = parse(HEADER + rsd.decode.ResultJson.step(written) + "\n");
        StepTrace read = t.steps().getFirst();
        assertThat(read.otherBranches()).hasSize(2);
        assertThat(read.otherBranches().get(0).from()).isZero();
        assertThat(read.otherBranches().get(0).guessed()).containsExactly(7, 8);
        assertThat(read.otherBranches().get(1).rules()).containsExactly("indent");
        // a chain writes no "branches" field, and old traces without one read as chains
        assertThat(rsd.decode.ResultJson.step(new StepTrace(4, new int[] {5}, new String[] {"a"}, 1, 9, 1, 2.0))
                .has("branches")).isFalse();
        assertThatThrownBy(() -> parse(HEADER + "{\"type\":\"step\",\"guessed\":[1],\"rules\":[\"a\"],\"accepted\":0,"
                + "\"branches\":[{\"from\":2,\"guessed\":[3],\"rules\":[\"b\"]}]}\n"))
                .isInstanceOf(RsdException.class).hasMessageContaining("outside 0..1");
        assertThatThrownBy(() -> parse(HEADER + "{\"type\":\"step\",\"guessed\":[1],\"rules\":[\"a\"],\"accepted\":0,"
                + "\"branches\":[{\"from\":0,\"guessed\":[3]}]}\n"))
                .isInstanceOf(RsdException.class).hasMessageContaining("one rule per token");
    }

    @Test
    void summaryIsOptional() throws IOException {
        assertThat(parse(HEADER).summary().isMissingNode()).isTrue();
    }

    @Test
    void rejectsTracesThatDoNotAddUp() {
        assertThatThrownBy(() -> parse("{\"type\":\"step\"}\n")).isInstanceOf(RsdException.class)
                .hasMessageContaining("t.jsonl line 1").hasMessageContaining("header");
        assertThatThrownBy(() -> parse(HEADER + "{not json\n")).isInstanceOf(RsdException.class)
                .hasMessageContaining("t.jsonl line 2: not valid JSON");
        assertThatThrownBy(() -> parse(HEADER + "{\"type\":\"step\",\"guessed\":[1],\"rules\":[\"a\"],\"accepted\":2}\n"))
                .isInstanceOf(RsdException.class).hasMessageContaining("line 2: accepted=2 but only 1");
        assertThatThrownBy(() -> parse(HEADER + "{\"type\":\"step\",\"guessed\":[1,2],\"rules\":[\"a\"],\"accepted\":0}\n"))
                .isInstanceOf(RsdException.class).hasMessageContaining("one rule per guessed token");
        assertThatThrownBy(() -> parse(HEADER + "{\"type\":\"step\",\"guessed\":[\"x\"],\"rules\":[\"a\"],\"accepted\":0}\n"))
                .isInstanceOf(RsdException.class).hasMessageContaining("not a token id");
        assertThatThrownBy(() -> parse(HEADER + HEADER)).isInstanceOf(RsdException.class)
                .hasMessageContaining("second header");
        assertThatThrownBy(() -> parse("")).isInstanceOf(RsdException.class).hasMessageContaining("is empty");
        assertThatThrownBy(() -> parse("[1,2]\n")).isInstanceOf(RsdException.class)
                .hasMessageContaining("expected a JSON object");
    }

    @Test
    void missingFileIsAUserError(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> Trace.read(dir.resolve("nope.jsonl"))).isInstanceOf(RsdException.class)
                .hasMessageContaining("nope.jsonl does not exist");
        Path f = dir.resolve("ok.jsonl");
        Files.writeString(f, HEADER);
        assertThat(Trace.read(f).promptIds()).containsExactly(1, 2);
    }
}
