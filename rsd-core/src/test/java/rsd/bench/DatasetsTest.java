package rsd.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;
import rsd.testing.HumanEvalSample;

class DatasetsTest {
    @Test
    void theBuiltinSuiteHasFortyDistinctPromptsThirtyInPython() {
        List<Problem> suite = Datasets.builtin();
        assertThat(suite).hasSize(40);
        assertThat(suite.stream().map(Problem::taskId).collect(Collectors.toSet())).hasSize(40);
        List<Problem> python = suite.stream().filter(p -> p.language().equals("python")).toList();
        assertThat(python).hasSize(30);
        assertThat(python).allSatisfy(p -> {
            assertThat(p.prompt()).contains("\"\"\"").endsWith("\n");
            assertThat(p.stopStrings()).isEqualTo(Problem.PYTHON_STOPS);
        });
        Set<String> others = suite.stream().map(Problem::language).filter(l -> !l.equals("python")).collect(Collectors.toSet());
        assertThat(others).containsExactlyInAnyOrder("java", "c", "javascript");
        assertThat(suite).filteredOn(p -> !p.language().equals("python"))
                .allSatisfy(p -> assertThat(p.prompt()).endsWith("{\n"));
    }

    @Test
    void readsHumanEvalJsonlAndGzip(@TempDir Path dir) throws Exception {
        String lines = "{\"task_id\": \"HumanEval/0\", \"prompt\": \"def f(x):\\n    \\\"\\\"\\\"Doc\\\"\\\"\\\"\\n\", "
                + "\"canonical_solution\": \"    return x\\n\", \"test\": \"\", \"entry_point\": \"f\"}\n\n"
                + "{\"task_id\": \"HumanEval/1\", \"prompt\": \"def g():\\n\"}\n";
        Path plain = dir.resolve("he.jsonl");
        Files.writeString(plain, lines);
        Path gz = dir.resolve("he.jsonl.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
            out.write(lines.getBytes(StandardCharsets.UTF_8));
        }
        for (Path p : List.of(plain, gz)) {
            List<Problem> problems = Datasets.load(p);
            assertThat(problems).extracting(Problem::taskId).containsExactly("HumanEval/0", "HumanEval/1");
            assertThat(problems.get(0).prompt()).isEqualTo("def f(x):\n    \"\"\"Doc\"\"\"\n");
            assertThat(problems.get(0).stopStrings()).contains("\ndef ", "\nclass ", "\nif __name__", "\nprint(", "\n#");
        }
    }

    @Test
    void realHumanEvalSampleLoads() {
        assertThat(Datasets.load(HumanEvalSample.path())).hasSize(20).first().extracting(Problem::taskId).isEqualTo("HumanEval/0");
    }

    @Test
    void badFilesAreUserErrors(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> Datasets.load(dir.resolve("missing.jsonl")))
                .isInstanceOf(RsdException.class).hasMessageContaining("missing.jsonl").hasMessageContaining("no such file");
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"task_id\": \"x\", \"prompt\": \"p\"}\n{not json\n");
        assertThatThrownBy(() -> Datasets.load(bad)).isInstanceOf(RsdException.class).hasMessageContaining("line 2");
        Path noPrompt = dir.resolve("np.jsonl");
        Files.writeString(noPrompt, "{\"task_id\": \"x\"}\n");
        assertThatThrownBy(() -> Datasets.load(noPrompt)).isInstanceOf(RsdException.class).hasMessageContaining("prompt");
        Path empty = dir.resolve("empty.jsonl");
        Files.writeString(empty, "\n");
        assertThatThrownBy(() -> Datasets.load(empty)).isInstanceOf(RsdException.class).hasMessageContaining("no problems");
    }
}
