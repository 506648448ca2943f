package rsd.cli;

import static rsd.cli.MainRun.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.cli.MainRun.Outcome;
import rsd.model.TestModels;

class ReplayCommandTest {
    @Test
    void replaysReferenceSolutionsThroughEveryMode(@TempDir Path dir) throws Exception {
        Path model = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of());
        Path data = dir.resolve("he.jsonl");
        String solution = "    result = []\\n    for x in xs:\\n        result.append(x)\\n    return result\\n";
        Files.writeString(data, "{\"task_id\": \"t/0\", \"prompt\": \"def f(xs):\\n    \\\"\\\"\\\"Copy.\\\"\\\"\\\"\\n\", "
                + "\"canonical_solution\": \"" + solution + "\"}\n");
        Outcome o = run("replay", "--model", model.toString(), "--dataset", data.toString(), "--cost-curve", "1:1,2:1.05,16:1.6");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("rsd replay: 1 items", "rules", "lookup", "patterns", "indent", "auto", "mode/rule");
        // a byte-level vocabulary: the continuation is one token per byte of the solution
        int bytes = solution.replace("\\n", "\n").length();
        assertThat(o.out()).containsPattern("auto\\s+" + bytes + "\\s");
    }

    @Test
    void projectsWithTheCalibratedCurveOfAnotherModel(@TempDir Path dir) throws Exception {
        Path model = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of());
        Path data = dir.resolve("he.jsonl");
        Files.writeString(data, "{\"prompt\": \"def f(x):\\n\", \"canonical_solution\": \"    return x\\n\"}\n");
        Outcome o = run("replay", "--model", model.toString(), "--dataset", data.toString(), "--modes", "auto",
                "--cost-model", model.toString(), "--threads", "1");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("cost curve T=1:1.00 T=2:", "auto");
        Outcome missing = run("replay", "--model", model.toString(), "--dataset", data.toString(),
                "--cost-model", dir.resolve("none.gguf").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("none.gguf");
    }

    @Test
    void badInputIsOneLine(@TempDir Path dir) throws Exception {
        Path model = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of());
        Outcome neither = run("replay", "--model", model.toString());
        assertThat(neither.code()).isEqualTo(2);
        assertThat(neither.err()).contains("--dataset", "--corpus");
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"x\"}\n");
        Outcome missing = run("replay", "--model", model.toString(), "--dataset", bad.toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err().strip()).contains("bad.jsonl line 1", "canonical_solution").doesNotContain("\n");
        Outcome curve = run("replay", "--model", model.toString(), "--dataset", bad.toString(), "--cost-curve", "2:1");
        assertThat(curve.err()).contains("--cost-curve");
    }
}
