package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import rsd.LoadedModel;
import rsd.model.Session;
import rsd.model.TestModels;

class PerplexityCommandTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of());
    }

    record Result(int exit, String out, String err) {
        JsonNode json() throws Exception {
            String[] lines = out.strip().split("\n");
            return new ObjectMapper().readTree(lines[lines.length - 1]);
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = Main.configure(cl).execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    /** Loss and top-1 recomputed one token at a time, each position from a fresh prefix: an independent path. */
    static double[] slowScore(String text, int window) {
        try (LoadedModel lm = LoadedModel.open(model, 1, 0)) {
            int[] body = lm.tokenizer().encode(text);
            int[] ids = new int[body.length + 1];
            ids[0] = lm.tokenizer().bos();
            System.arraycopy(body, 0, ids, 1, body.length);
            double loss = 0;
            int n = 0;
            int hits = 0;
            try (Session s = lm.model().newSession(window)) {
                for (int start = 0; start + 1 < ids.length; start += window) {
                    int end = Math.min(ids.length, start + window);
                    for (int p = start; p < end - 1; p++) {
                        float[] logits = s.forward(new int[] {ids[p]}, p - start)[0];
                        double max = Double.NEGATIVE_INFINITY;
                        int arg = 0;
                        for (int j = 0; j < logits.length; j++) {
                            if (logits[j] > max) {
                                max = logits[j];
                                arg = j;
                            }
                        }
                        double z = 0;
                        for (float l : logits) {
                            z += Math.exp(l - max);
                        }
                        loss += Math.log(z) + max - logits[ids[p + 1]];
                        hits += arg == ids[p + 1] ? 1 : 0;
                        n++;
                    }
                }
            }
            return new double[] {loss / n, (double) hits / n, n};
        }
    }

    @Test
    void matchesTokenByTokenScoringAcrossWindows() throws Exception {
        String text = "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n";
        Path f = dir.resolve("sample.py");
        Files.writeString(f, text);
        Result r = run("perplexity", "--model", model.toString(), "--file", f.toString(), "--window", "16", "--threads", "1", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode j = r.json();
        double[] expected = slowScore(text, 16);
        assertThat(j.get("tokens").asLong()).isEqualTo((long) expected[2]);
        assertThat(j.get("mean_loss").asDouble()).isCloseTo(expected[0], within(1e-4));
        assertThat(j.get("top1_accuracy").asDouble()).isCloseTo(expected[1], within(1e-12));
        assertThat(j.get("perplexity").asDouble()).isCloseTo(Math.exp(expected[0]), within(1e-2));
    }

    @Test
    void scoresEveryMatchingFileOfADirectory() throws Exception {
        Path d = Files.createDirectories(dir.resolve("tree/sub"));
        Files.writeString(d.resolve("a.py"), "x = 1\n");
        Files.writeString(d.getParent().resolve("b.py"), "y = 2\n");
        Files.writeString(d.resolve("notes.txt"), "ignored text that is long enough to matter\n");
        Result r = run("perplexity", "--model", model.toString(), "--dir", d.getParent().toString(), "--threads", "1", "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.json().get("files").asInt()).isEqualTo(2);
        // BOS + "x = 1\n" is 7 byte tokens here, so 6 scored positions per file
        assertThat(r.json().get("tokens").asLong()).isEqualTo(12);
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws Exception {
        Result missing = run("perplexity", "--model", model.toString(), "--file", dir.resolve("nope.py").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).isEqualTo("rsd: " + dir.resolve("nope.py") + ": no such file");

        Path bin = dir.resolve("bad.py");
        Files.write(bin, new byte[] {(byte) 0xff, (byte) 0xfe, 0x41});
        Result notText = run("perplexity", "--model", model.toString(), "--file", bin.toString());
        assertThat(notText.exit()).isEqualTo(2);
        assertThat(notText.err()).contains("not valid UTF-8").doesNotContain("Exception");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        Result none = run("perplexity", "--model", model.toString(), "--dir", empty.toString());
        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err()).contains("no files ending in .py");
    }
}
