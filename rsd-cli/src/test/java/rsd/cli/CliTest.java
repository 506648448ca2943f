package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import rsd.LoadedModel;
import rsd.Modes;
import rsd.decode.TextGenerator;
import rsd.error.RsdException;
import rsd.testing.TestTarget;

/** The generate and bench commands end to end on the engine's tiny random Llama. */
class CliTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ModelOpener OPENER = LoadedModel::open;
    @TempDir
    static Path dir;
    static Path model;
    static Path draft;

    @BeforeAll
    static void models() {
        try (LoadedModel a = TestTarget.randomModel(dir, 1); LoadedModel b = TestTarget.randomModel(dir, 2)) {
            model = a.path();
            draft = b.path();
        }
    }

    record Outcome(int code, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    static Outcome run(Callable<Integer> command, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(command);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        // As rsd.cli.Main does: a user error is one line and exit code 2.
        cl.setExecutionExceptionHandler((ex, c, p) -> {
            Throwable t = ex;
            while (!(t instanceof RsdException) && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof RsdException) {
                c.getErr().println("rsd: " + t.getMessage());
                return 2;
            }
            throw ex;
        });
        int code = cl.execute(args);
        return new Outcome(code, out.toString(), err.toString());
    }

    static GenerateCommand generate() {
        GenerateCommand g = new GenerateCommand(OPENER);
        g.terminalOverride = false;
        return g;
    }

    @Test
    void generateJsonEndsWithOneObjectAndStreamingPrintsTheSameText() throws Exception {
        Outcome json = run(generate(), "--model", model.toString(), "--prompt", "def add(a, b):\n", "--max-tokens", "24",
                "--mode", "indent", "--json", "--threads", "1");
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode r = JSON.readTree(json.lastLine());
        for (String f : List.of("text", "token_ids", "total_tokens", "elapsed_time", "tokens_per_second", "forward_passes",
                "tokens_per_forward", "acceptance_rate", "per_rule")) {
            assertThat(r.has(f)).as(f).isTrue();
        }
        assertThat(r.get("token_ids").size()).isEqualTo(r.get("total_tokens").asInt()).isLessThanOrEqualTo(24);
        assertThat(r.get("mode").asText()).isEqualTo("indent");

        Outcome streamed = run(generate(), "--model", model.toString(), "--prompt", "def add(a, b):\n", "--max-tokens", "24",
                "--mode", "standard", "--threads", "1");
        assertThat(streamed.code()).isZero();
        assertThat(streamed.out()).isEqualTo(r.get("text").asText()); // greedy: same text in every mode, no colour codes
        assertThat(streamed.err()).contains("tokens/s", "forward passes", "tokens/forward", "acceptance");
    }

    @Test
    void traceHasHeaderStepsAndSummary() throws Exception {
        Path trace = dir.resolve("trace.jsonl");
        Outcome o = run(generate(), "--model", model.toString(), "--draft-model", draft.toString(), "--prompt", "x = 1\n",
                "--max-tokens", "20", "--mode", "draft", "--gamma", "3", "--trace", trace.toString(), "--threads", "1");
        assertThat(o.code()).as(o.err()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String l : Files.readAllLines(trace)) {
            lines.add(JSON.readTree(l));
        }
        JsonNode header = lines.get(0);
        assertThat(header.get("type").asText()).isEqualTo("header");
        assertThat(header.get("mode").asText()).isEqualTo("draft");
        assertThat(header.get("prompt").asText()).isEqualTo("x = 1\n");
        assertThat(header.get("prompt_ids").size()).isEqualTo(7); // BOS + 6 bytes
        assertThat(header.get("settings").get("gamma").asInt()).isEqualTo(3);
        JsonNode summary = lines.get(lines.size() - 1);
        assertThat(summary.get("type").asText()).isEqualTo("summary");
        List<JsonNode> steps = lines.subList(1, lines.size() - 1);
        assertThat(steps).hasSize(summary.get("forward_passes").asInt());
        int emitted = 0;
        for (JsonNode s : steps) {
            assertThat(s.get("type").asText()).isEqualTo("step");
            assertThat(s.get("rules").size()).isEqualTo(s.get("guessed").size());
            assertThat(s.get("accepted").asInt()).isLessThanOrEqualTo(s.get("guessed").size());
            assertThat(s.has("tree_size") && s.has("ms") && s.has("position")).isTrue();
            emitted += s.get("accepted").asInt() + (s.get("model_token").asInt() >= 0 ? 1 : 0);
        }
        assertThat(emitted).isEqualTo(summary.get("total_tokens").asInt());
        assertThat(steps.get(0).get("position").asInt()).isEqualTo(6); // the last prompt token's position
    }

    @Test
    void userErrorsAreOneLineAndExitCodeTwo() {
        Outcome overwrite = run(generate(), "--model", model.toString(), "--prompt", "a", "--trace", model.toString());
        assertThat(overwrite.code()).isEqualTo(2);
        assertThat(overwrite.err()).contains("would overwrite the input file");
        assertThat(Files.exists(model)).isTrue();

        Outcome tooLong = run(generate(), "--model", model.toString(), "--prompt", "a".repeat(40), "--ctx", "16");
        assertThat(tooLong.code()).isEqualTo(2);
        assertThat(tooLong.err()).contains("41 tokens", "context holds only 16");

        Outcome missing = run(generate(), "--model", dir.resolve("nope.gguf").toString(), "--prompt", "a");
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.gguf", "not found").hasLineCount(1);

        Outcome badMode = run(generate(), "--model", model.toString(), "--prompt", "a", "--mode", "telepathy");
        assertThat(badMode.code()).isEqualTo(2);
        assertThat(badMode.err()).contains("unknown mode 'telepathy'", "standard", "indent");

        Outcome badPromptFile = run(generate(), "--model", model.toString(), "--prompt-file", dir.resolve("none.txt").toString());
        assertThat(badPromptFile.code()).isEqualTo(2);
        assertThat(badPromptFile.err()).contains("none.txt");
    }

    @Test
    void greenOnlyWhenColourIsOn() {
        StringWriter colored = new StringWriter();
        GenerateCommand.StreamPrinter on = new GenerateCommand.StreamPrinter(new PrintWriter(colored), new PrintWriter(new StringWriter()), true, false, () -> 0);
        on.onToken(1, "   ", true);
        on.onToken(2, " return", false);
        assertThat(colored.toString()).isEqualTo("\u001b[32m   \u001b[0m return");
        StringWriter plain = new StringWriter();
        GenerateCommand.StreamPrinter off = new GenerateCommand.StreamPrinter(new PrintWriter(plain), new PrintWriter(new StringWriter()), false, false, () -> 0);
        off.onToken(1, "   ", true);
        off.onToken(2, " return", false);
        off.finish();
        assertThat(plain.toString()).isEqualTo("    return");
    }

    @Test
    void theStatusLineSitsOnEmptyLinesOnlyAndIsErasedBeforeText() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        long[] drafted = {4};
        GenerateCommand.StreamPrinter p = new GenerateCommand.StreamPrinter(new PrintWriter(out), new PrintWriter(err), false, true,
                () -> drafted[0]);
        p.onToken(1, "x = 1", false);
        assertThat(err.toString()).isEmpty(); // mid-line: no status
        p.onToken(2, "\n", false);
        assertThat(err.toString()).contains("2 tokens", "acceptance 0%");
        Thread.sleep(250);
        p.onToken(3, "   ", true);
        assertThat(err.toString()).contains("\r\u001b[K"); // erased before the text went out
        p.finish();
        assertThat(out.toString()).isEqualTo("x = 1\n   \n");
    }

    static BenchCommand bench() {
        BenchCommand b = new BenchCommand(OPENER);
        b.terminalOverride = false;
        return b;
    }

    @Test
    void benchPrintsATableAndJsonAndExitsZeroWhenLossless() throws Exception {
        Outcome o = run(bench(), "--model", model.toString(), "--draft-model", draft.toString(), "--limit", "3",
                "--max-tokens", "12", "--json", "-", "--threads", "1", "--warmup-tokens", "4");
        assertThat(o.code()).as(o.err()).isZero();
        assertThat(o.out()).contains("mode", "tok/fwd", "standard", "indent", "draft", "auto", "rules", "lookup", "patterns");
        JsonNode doc = JSON.readTree(o.lastLine());
        assertThat(doc.get("dataset").get("name").asText()).isEqualTo("builtin");
        assertThat(doc.get("dataset").get("problems").asInt()).isEqualTo(3);
        assertThat(doc.get("settings").get("max_tokens").asInt()).isEqualTo(12);
        assertThat(doc.get("model").get("path").asText()).isEqualTo(model.toString());
        assertThat(doc.get("modes")).hasSize(8); // standard, indent, rules, lookup, patterns, recycle, auto, draft
        assertThat(doc.get("problems")).hasSize(24); // 3 problems x 8 modes
        for (JsonNode m : doc.get("modes")) {
            assertThat(m.get("identical_to_standard").asBoolean()).isTrue();
            long forwards = 0;
            for (JsonNode n : m.get("forward_sizes")) {
                forwards += n.asLong();
            }
            assertThat(forwards).as("forward_sizes of " + m.get("mode")).isEqualTo(m.get("forward_passes").asLong());
            // decode steps are part of the run's time; the rest is prefill and set-up
            assertThat(m.get("decode_steps_s").asDouble()).isPositive().isLessThanOrEqualTo(m.get("elapsed_s").asDouble());
        }
        assertThat(o.err()).contains("[8/24]", "[24/24]");

        Path out = dir.resolve("bench.json");
        Path html = dir.resolve("bench.html");
        Outcome file = run(bench(), "--model", model.toString(), "--limit", "1", "--max-tokens", "4", "--modes", "indent",
                "--json", out.toString(), "--html", html.toString(), "--threads", "1", "--repeat", "3");
        assertThat(file.code()).as(file.err()).isZero();
        assertThat(file.err()).contains("[6/6]").doesNotContain("[2/6]");
        assertThat(JSON.readTree(out.toFile()).get("settings").get("repeat").asInt()).isEqualTo(3);
        assertThat(Files.readString(html)).contains("<html", "indent");
        assertThat(JSON.readTree(out.toFile()).get("modes")).extracting(m -> m.get("mode").asText())
                .containsExactly("standard", "indent");
        // three repeats: each mode's speed-up spread, a verdict, and a warning that 4 tokens are too short to tell
        JsonNode indent = JSON.readTree(out.toFile()).get("modes").get(1);
        assertThat(indent.get("speedup_min").asDouble()).isPositive().isLessThanOrEqualTo(indent.get("speedup_max").asDouble());
        assertThat(JSON.readTree(out.toFile()).has("fastest_mode")).isTrue();
        assertThat(file.out()).containsPattern("speed-up vs standard over 3 repeats, min-max:  indent [0-9.]+-[0-9.]+x")
                .containsPattern("(fastest: |no mode named fastest: )");
        assertThat(file.err()).contains("warning: standard decoding took", "too short to tell");
    }

    @Test
    void benchExitsOneWhenAModeDiffersFromStandard() {
        BenchCommand b = bench();
        b.generatorFactory = (mode, res) -> {
            TextGenerator real = Modes.decoder(mode, res);
            if (!mode.equals("indent")) {
                return real;
            }
            return new TextGenerator() {
                public rsd.decode.GenerationResult generate(int[] p, rsd.decode.GenerationSettings s,
                        rsd.decode.TokenListener l, java.util.function.BooleanSupplier c) {
                    // A faulty mode: generates one token fewer than asked.
                    return real.generate(p, new rsd.decode.GenerationSettings(s.maxTokens() - 1, s.temperature(),
                            s.topK(), s.topP(), s.seed(), s.stopStrings()), l, c);
                }

                public rsd.tokenizer.Tokenizer tokenizer() {
                    return real.tokenizer();
                }

                public String mode() {
                    return "indent";
                }
            };
        };
        Outcome o = run(b, "--model", model.toString(), "--limit", "2", "--max-tokens", "6", "--modes", "standard,indent",
                "--threads", "1", "--warmup-tokens", "0");
        assertThat(o.code()).isEqualTo(1);
        assertThat(o.err()).contains("differs from standard decoding in indent (2 of 2 problems)");
        assertThat(o.out()).contains("NO (2)");
    }

    @Test
    void benchRejectsUnavailableModes() {
        Outcome o = run(bench(), "--model", model.toString(), "--draft-model", dir.resolve("none.gguf").toString(),
                "--modes", "draft", "--limit", "1");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err()).contains("'draft' is not available", "none.gguf");
        Outcome badTopP = run(bench(), "--model", model.toString(), "--top-p", "0", "--limit", "1");
        assertThat(badTopP.code()).isEqualTo(2);
        assertThat(badTopP.err()).contains("--top-p must be in (0, 1], got 0.0");
        Outcome clobber = run(bench(), "--model", model.toString(), "--json", model.toString(), "--limit", "1");
        assertThat(clobber.code()).isEqualTo(2);
        assertThat(clobber.err()).contains("would overwrite the input file");
        Outcome noRepeat = run(bench(), "--model", model.toString(), "--repeat", "0", "--limit", "1");
        assertThat(noRepeat.code()).isEqualTo(2);
        assertThat(noRepeat.err()).contains("--repeat must be >= 1, got 0");
        Outcome badFloor = run(bench(), "--model", model.toString(), "--draft-p-min", "1", "--limit", "1");
        assertThat(badFloor.code()).isEqualTo(2);
        assertThat(badFloor.err()).contains("--draft-p-min must be in [0, 1), got 1.0");
        Outcome badMin = run(bench(), "--model", model.toString(), "--draft-max", "3", "--draft-min", "4", "--limit", "1");
        assertThat(badMin.code()).isEqualTo(2);
        assertThat(badMin.err().strip()).isEqualTo("rsd: --draft-min must be in 0..3 (--draft-max), got 4");
    }
}
