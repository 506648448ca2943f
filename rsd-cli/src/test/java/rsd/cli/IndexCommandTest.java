package rsd.cli;

import static rsd.cli.MainRun.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.cli.MainRun.Outcome;
import rsd.model.TestModels;

/** rsd index end to end, its datastore used by replay and generate, and the one-line errors for bad files. */
class IndexCommandTest {
    static final String CODE = "def copy(xs):\n    result = []\n    for x in xs:\n        result.append(x)\n    return result\n";

    @Test
    void indexesAFolderAndReplayDraftsFromIt(@TempDir Path dir) throws Exception {
        Path model = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of());
        Path src = Files.createDirectories(dir.resolve("src/pkg"));
        Files.writeString(src.resolve("a.py"), CODE);
        Files.writeString(src.resolve("b.py"), "import os\n" + CODE);
        Files.writeString(src.resolve("notes.txt"), "not code");
        Path store = dir.resolve("code.rsdidx");
        Outcome o = run("index", "--model", model.toString(), "--out", store.toString(), dir.resolve("src").toString());
        assertThat(o.code()).as(o.err()).isZero();
        int tokens = 2 * CODE.length() + "import os\n".length() + 2; // byte-level vocabulary, one separator a file
        assertThat(o.out()).contains("2 files", tokens + " tokens");
        Path data = dir.resolve("he.jsonl");
        Files.writeString(data, "{\"prompt\": \"def copy(xs):\\n\", \"canonical_solution\": \""
                + CODE.substring("def copy(xs):\n".length()).replace("\n", "\\n") + "\"}\n");
        Outcome r = run("replay", "--model", model.toString(), "--dataset", data.toString(), "--datastore", store.toString(),
                "--modes", "datastore,auto");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("datastore " + store + ": 2 files, " + tokens + " tokens", "auto/datastore");
        // the reference is in the store: the datastore alone guesses all but the first token of each step right
        String line = Arrays.stream(r.out().split("\n")).filter(l -> l.startsWith("datastore ") && !l.contains("files")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(line.trim().split("\\s+")[3])).isGreaterThan(3.0);
        Outcome again = run("index", "--model", model.toString(), "--out", store.toString(), "--skip-held-out", dir.resolve("src").toString());
        assertThat(again.code()).as(again.err()).isZero();
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        Path model = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of());
        Path src = Files.createDirectories(dir.resolve("src"));
        Files.writeString(src.resolve("a.py"), CODE);
        Path precious = dir.resolve("precious.txt");
        Files.writeString(precious, "keep me");
        Outcome o = run("index", "--model", model.toString(), "--out", precious.toString(), src.toString());
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().strip()).contains("is not an rsd datastore").doesNotContain("\n");
        assertThat(Files.readString(precious)).isEqualTo("keep me");
        Outcome none = run("index", "--model", model.toString(), "--out", dir.resolve("x").toString(), dir.resolve("missing").toString());
        assertThat(none.code()).isEqualTo(2);
        assertThat(none.err().strip()).contains("does not exist").doesNotContain("\n");

        Path store = dir.resolve("s.rsdidx");
        assertThat(run("index", "--model", model.toString(), "--out", store.toString(), src.toString()).code()).isZero();
        Path data = dir.resolve("he.jsonl");
        Files.writeString(data, "{\"prompt\": \"def f(x):\\n\", \"canonical_solution\": \"    return x\\n\"}\n");
        byte[] bytes = Files.readAllBytes(store);
        Path cut = dir.resolve("cut.rsdidx");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        rsd.model.RandomLlama.Spec t = TestModels.tiny();
        Path foreignModel = TestModels.writeRandomLlama(Files.createDirectories(dir.resolve("other")),
                new rsd.model.RandomLlama.Spec(t.dim(), t.layers(), t.heads(), t.kvHeads(), t.ffnDim(), t.vocabSize() + 8,
                        t.contextLength(), t.ropeTheta(), t.matrixType(), t.embeddingType(), t.tiedEmbeddings(), t.ropeFreqs(), t.seed(), t.mediumMix()),
                Map.of());
        for (String[] bad : new String[][] {
            {"--model", model.toString(), "--datastore", dir.resolve("missing.rsdidx").toString()},
            {"--model", model.toString(), "--datastore", cut.toString()},
            {"--model", model.toString(), "--datastore", precious.toString()},
            {"--model", foreignModel.toString(), "--datastore", store.toString()},
        }) {
            String[] args = new String[bad.length + 3];
            args[0] = "replay";
            System.arraycopy(bad, 0, args, 1, bad.length);
            args[bad.length + 1] = "--dataset";
            args[bad.length + 2] = data.toString();
            Outcome b = run(args);
            assertThat(b.code()).as(String.join(" ", bad)).isEqualTo(2);
            assertThat(b.err().strip()).as(b.err()).contains("datastore file").doesNotContain("\n").doesNotContain("Exception");
        }
        Outcome gen = run("generate", "--model", model.toString(), "--datastore", cut.toString(), "--prompt", "x", "--max-tokens", "2");
        assertThat(gen.code()).isEqualTo(2);
        assertThat(gen.err().strip()).contains("truncated").doesNotContain("\n");
    }
}
