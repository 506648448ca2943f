package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.gguf.GgufWriter;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

class TokenizeCommandTest {
    @TempDir
    static Path dir;
    static Path vocab;

    /** A vocabulary-only GGUF (metadata, no tensors), like llama.cpp's ggml-vocab-*.gguf test files. */
    static void writeVocab(Path path, Map<String, Object> metadata) {
        try (GgufWriter w = GgufWriter.create(path)) {
            metadata.forEach(w::put);
        }
    }

    @BeforeAll
    static void writeCl100kVocab() {
        vocab = dir.resolve("cl100k-vocab.gguf");
        writeVocab(vocab, Cl100kVocabulary.metadata());
    }

    record Result(int exit, String out, String err) {
        String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    private static List<Integer> ids(JsonNode json) {
        List<Integer> ids = new ArrayList<>();
        json.get("ids").forEach(n -> ids.add(n.asInt()));
        return ids;
    }

    private static List<Integer> list(int[] a) {
        List<Integer> l = new ArrayList<>();
        for (int x : a) {
            l.add(x);
        }
        return l;
    }

    @Test
    void jsonForAPromptIsExactlyTheEncodingWithoutBosOrTrimming() throws IOException {
        String prompt = "  def f(x):\n\treturn x  \u00e9\n\n";
        Result r = run("tokenize", "--model", vocab.toString(), "--prompt", prompt, "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.lastLine());
        Tokenizer t = Cl100kVocabulary.tokenizer();
        assertThat(ids(json)).isEqualTo(list(t.encode(prompt)));
        assertThat(ids(json)).doesNotContain(t.bos());
        StringBuilder joined = new StringBuilder();
        json.get("pieces").forEach(p -> joined.append(p.asText()));
        assertThat(joined.toString()).isEqualTo(prompt);
    }

    @Test
    void piecesOfTokensThatCutACharacterShowReplacementChars() throws IOException {
        // U+1F600 is two cl100k tokens (bytes F0 9F | 98 80): neither is a whole character alone.
        String prompt = "\uD83D\uDE00";
        JsonNode json = new ObjectMapper().readTree(run("tokenize", "--model", vocab.toString(), "--prompt", prompt, "--json").lastLine());
        Tokenizer t = Cl100kVocabulary.tokenizer();
        assertThat(ids(json)).isEqualTo(list(t.encode(prompt))).hasSizeGreaterThan(1);
        json.get("pieces").forEach(p -> assertThat(p.asText()).isEqualTo("\uFFFD"));
        // The table shows their bytes instead.
        assertThat(run("tokenize", "--model", vocab.toString(), "--prompt", prompt).out()).contains("<f0><9f>");
    }

    @Test
    void emptyFileGivesEmptyLists() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        Result r = run("tokenize", "--model", vocab.toString(), "--file", empty.toString(), "--json");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.lastLine()).isEqualTo("{\"ids\":[],\"pieces\":[]}");
    }

    @Test
    void specialTokensOnlyWithSpecial() throws IOException {
        Path f = dir.resolve("chat.txt");
        Files.writeString(f, "hi<|eot_id|>");
        JsonNode plain = new ObjectMapper().readTree(run("tokenize", "--model", vocab.toString(), "--file", f.toString(), "--json").lastLine());
        JsonNode special = new ObjectMapper().readTree(
                run("tokenize", "--model", vocab.toString(), "--file", f.toString(), "--json", "--special").lastLine());
        assertThat(ids(plain)).doesNotContain(Cl100kVocabulary.EOT);
        assertThat(ids(special)).endsWith(Cl100kVocabulary.EOT);
        assertThat(special.get("pieces").get(special.get("pieces").size() - 1).asText()).isEqualTo("<|eot_id|>");
    }

    @Test
    void tableMakesWhitespaceVisible() {
        assertThat(TokenizeCommand.visible(" \tx\r\n\u0001")).isEqualTo("\u00B7\u2192x\u240D\u21B5\\x01");
        Result r = run("tokenize", "--model", vocab.toString(), "--prompt", "    return x\n");
        assertThat(r.exit()).as(r.err()).isZero();
        Tokenizer t = Cl100kVocabulary.tokenizer();
        for (int id : t.encode("    return x\n")) {
            assertThat(r.out()).contains(" " + id + "  ");
        }
        assertThat(r.out()).contains("4 tokens, 13 chars, 13 bytes");
    }

    @Test
    void badInputIsOneLineAndExitTwo() throws IOException {
        Result missing = run("tokenize", "--model", dir.resolve("nope.gguf").toString(), "--prompt", "x");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err().strip()).startsWith("rsd: ").contains("nope.gguf").doesNotContain("\n");

        Map<String, Object> md = new java.util.HashMap<>(Cl100kVocabulary.metadata());
        md.put("tokenizer.ggml.pre", "falcon");
        Path falcon = dir.resolve("falcon.gguf");
        writeVocab(falcon, md);
        Result pre = run("tokenize", "--model", falcon.toString(), "--prompt", "x");
        assertThat(pre.exit()).isEqualTo(2);
        assertThat(pre.err().strip()).contains("falcon.gguf").contains("'falcon'").doesNotContain("\n");

        Path latin1 = dir.resolve("latin1.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9});
        Result enc = run("tokenize", "--model", vocab.toString(), "--file", latin1.toString(), "--json");
        assertThat(enc.exit()).isEqualTo(2);
        assertThat(enc.err()).contains("latin1.txt").contains("not valid UTF-8");

        Result both = run("tokenize", "--model", vocab.toString(), "--file", latin1.toString(), "--prompt", "x");
        assertThat(both.exit()).isEqualTo(2);
    }

    @Test
    void benchReportsSpeed() throws IOException {
        Path corpus = Files.createDirectories(dir.resolve("corpus"));
        Files.writeString(corpus.resolve("a.py"), "def f(x):\n    return x + 1\n".repeat(200));
        Files.writeString(corpus.resolve("b.py"), "import os\nprint(os.getcwd())\n");
        Files.writeString(corpus.resolve("c.txt"), "not counted");
        Result r = run("tokenize", "--model", vocab.toString(), "--bench", corpus.toString(), "--repeat", "2");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("2 files ending in .py").contains("pass 2:").contains("MB/s");
    }
}
