package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import rsd.error.RsdException;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

class AnalyzeCommandTest {
    private static final Tokenizer TOK = Cl100kVocabulary.tokenizer();

    @TempDir
    Path dir;

    private final StringWriter out = new StringWriter();
    private final AtomicInteger loads = new AtomicInteger();

    /** Parses and runs the command with a cl100k tokenizer standing in for the model's; user errors propagate. */
    private int run(String... args) {
        AnalyzeCommand cmd = new AnalyzeCommand(model -> {
            loads.incrementAndGet();
            return TOK;
        });
        CommandLine cl = new CommandLine(cmd);
        cl.setOut(new PrintWriter(out, true));
        cl.parseArgs(args);
        return cmd.call();
    }

    private Path model() throws Exception {
        Path m = dir.resolve("model.gguf");
        Files.write(m, new byte[] {'G', 'G', 'U', 'F'});
        return m;
    }

    @Test
    void textToHtml() throws Exception {
        Path report = dir.resolve("r.html");
        assertThat(run("--model", model().toString(), "--text", "def f(x):\n       return x\n", "--out", report.toString()))
                .isZero();
        assertThat(out.toString()).contains("wrote " + report.toAbsolutePath());
        String html = Files.readString(report);
        assertThat(html).contains("data-id=\"" + TOK.idOf("):\n") + "\"").contains("<table id=\"spaces\">");
        assertThat(loads).hasValue(1);
    }

    @Test
    void fileToAnsiOnTheTerminal() throws Exception {
        Path src = dir.resolve("a.py");
        Files.writeString(src, "if x:\n    y = 1\n");
        assertThat(run("--model", model().toString(), "--file", src.toString(), "--format", "ansi", "--max-colors", "3"))
                .isZero();
        String plain = out.toString().replaceAll("\u001b\\[[0-9;]*m", "");
        assertThat(plain).contains("Tokens of a.py").contains("if\u00b7x:\u21b5").contains("Whitespace tokens");
        assertThat(out.toString()).contains("\u001b[48;5;");
    }

    @Test
    void traceToHtml() throws Exception {
        int[] prompt = TOK.encode("def f(x):\n");
        int indent = TOK.idOf("   ");
        int ret = TOK.idOf(" return");
        int wrong = TOK.idOf(" pass");
        Path trace = dir.resolve("run.jsonl");
        Files.writeString(trace, "{\"type\":\"header\",\"model\":\"m\",\"mode\":\"rules\",\"prompt\":\"def f(x):\\n\","
                + "\"prompt_ids\":" + java.util.Arrays.toString(prompt) + ",\"settings\":{}}\n"
                + "{\"type\":\"step\",\"position\":" + prompt.length + ",\"guessed\":[" + indent + "," + wrong + "],"
                + "\"rules\":[\"indent\",\"idiom\"],\"accepted\":1,\"model_token\":" + ret + ",\"tree_size\":2,\"ms\":5}\n"
                + "{\"type\":\"summary\",\"total_tokens\":2}\n");
        Path report = dir.resolve("run.html");
        assertThat(run("--model", model().toString(), "--trace", trace.toString(), "--out", report.toString())).isZero();
        String html = Files.readString(report);
        assertThat(html).contains("<span class=\"t acc r0\" data-id=\"" + indent + "\"")
                .contains("<span class=\"t rej r1\" data-id=\"" + wrong + "\"")
                .contains("<span class=\"t mod c0\" data-id=\"" + ret + "\"");
    }

    @Test
    void refusesToOverwriteAnInput() throws Exception {
        Path src = dir.resolve("a.py");
        Files.writeString(src, "x = 1\n");
        assertThatThrownBy(() -> run("--model", model().toString(), "--file", src.toString(), "--out", src.toString()))
                .isInstanceOf(RsdException.class).hasMessageContaining("refusing to write the report over the input file");
        assertThat(Files.readString(src)).isEqualTo("x = 1\n");
        assertThatThrownBy(() -> run("--model", model().toString(), "--text", "x", "--out", model().toString()))
                .isInstanceOf(RsdException.class).hasMessageContaining("model.gguf");
        assertThat(Files.size(model())).isEqualTo(4);
    }

    @Test
    void userErrorsNameTheProblem() throws Exception {
        assertThatThrownBy(() -> run("--model", dir.resolve("none.gguf").toString(), "--text", "x"))
                .isInstanceOf(RsdException.class).hasMessageContaining("model file " + dir.resolve("none.gguf") + " not found")
                .hasMessageContaining("--model");
        assertThatThrownBy(() -> run("--model", model().toString(), "--file", dir.resolve("no.py").toString()))
                .isInstanceOf(RsdException.class).hasMessageContaining("no.py does not exist");
        assertThatThrownBy(() -> run("--model", model().toString(), "--text", ""))
                .isInstanceOf(RsdException.class).hasMessageContaining("--text is empty");
        assertThatThrownBy(() -> run("--model", model().toString(), "--text", "x", "--max-colors", "1"))
                .isInstanceOf(RsdException.class).hasMessageContaining("--max-colors must be between 2 and 64");
        Path binary = dir.resolve("b.bin");
        Files.write(binary, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertThatThrownBy(() -> run("--model", model().toString(), "--file", binary.toString(), "--out",
                dir.resolve("o.html").toString())).isInstanceOf(RsdException.class).hasMessageContaining("is not UTF-8 text");
        assertThat(loads).hasValue(0); // every one of these is caught before the model is loaded
    }

    @Test
    void defaultOutputNameFollowsTheInput() throws Exception {
        AnalyzeCommand cmd = new AnalyzeCommand(m -> TOK);
        new CommandLine(cmd).parseArgs("--model", "m.gguf", "--trace", "runs/today.jsonl");
        assertThat(cmd.outPath()).isEqualTo(Path.of("today.html"));
        cmd = new AnalyzeCommand(m -> TOK);
        new CommandLine(cmd).parseArgs("--model", "m.gguf", "--file", "src/foo.py");
        assertThat(cmd.outPath()).isEqualTo(Path.of("foo.py.html"));
        cmd = new AnalyzeCommand(m -> TOK);
        new CommandLine(cmd).parseArgs("--model", "m.gguf", "--text", "x");
        assertThat(cmd.outPath()).isEqualTo(Path.of("tokens.html"));
    }

    /** The whole path: a GGUF file's tokenizer metadata, read by the real loader, through rsd's entry point. */
    @Test
    void modelFileThroughMain() throws Exception {
        Path gguf = dir.resolve("cl100k.gguf");
        TokenizeCommandTest.writeVocab(gguf, Cl100kVocabulary.metadata());
        Path report = dir.resolve("foo.html");
        assertThat(Main.run("analyze", "--model", gguf.toString(), "--text", "class Foo(Bar):\n        self.a = a\n",
                "--out", report.toString())).isZero();
        String html = Files.readString(report);
        int seven = TOK.idOf("       ");
        assertThat(html).contains("data-id=\"" + seven + "\"").contains("data-id=\"" + TOK.idOf("):\n") + "\"");
        assertThat(html).containsPattern("data-id=\"" + seven + "\"[^>]*><span class=\"ws\">\u00b7{7}</span>");

        Path trace = dir.resolve("other-model.jsonl");
        Files.writeString(trace, "{\"type\":\"header\",\"model\":\"big\",\"mode\":\"rules\",\"prompt\":\"x\","
                + "\"prompt_ids\":[128000],\"settings\":{}}\n");
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run("analyze", "--model", gguf.toString(), "--trace", trace.toString(), "--out",
                    dir.resolve("o.html").toString());
        } finally {
            System.setErr(oldErr);
        }
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("token id 128000 is outside the vocabulary");
    }

    /** Through rsd's real entry point: --bench needs no model; bad input is one line on stderr and exit 2. */
    @Test
    void benchThroughMain() throws Exception {
        Path json = dir.resolve("bench.json");
        try (var in = AnalyzeCommandTest.class.getResourceAsStream("/rsd/report/sample-bench.json")) {
            Files.write(json, in.readAllBytes());
        }
        Path report = dir.resolve("bench.html");
        assertThat(Main.run("analyze", "--bench", json.toString(), "--out", report.toString())).isZero();
        assertThat(Files.readString(report)).contains("<svg id='chart-speedup'");

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"modes\": [");
        PrintStream oldErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int rc;
        try {
            rc = Main.run("analyze", "--bench", broken.toString(), "--out", dir.resolve("x.html").toString());
        } finally {
            System.setErr(oldErr);
        }
        assertThat(rc).isEqualTo(2);
        String msg = err.toString(StandardCharsets.UTF_8);
        assertThat(msg).startsWith("rsd: bench result " + broken + " is not valid JSON");
        assertThat(msg.strip().lines().count()).isEqualTo(1);
    }
}
