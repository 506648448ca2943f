package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import rsd.model.RandomLlama;
import rsd.model.TestModels;

/**
 * Careless and hostile command lines: each must end with one line on stderr and exit code 2 before any
 * work is done, and leave everything the user had as it was.
 */
class HostileInputTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void model() {
        model = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of());
    }

    /** Runs rsd and checks the refusal: exit 2, one line starting "rsd: ", no stack trace. Returns the line. */
    static String refused(String... args) {
        EngineCommandsTest.Run r = EngineCommandsTest.rsd(args);
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(lines).as(r.err()).hasSize(1);
        assertThat(lines.get(0)).startsWith("rsd: ").doesNotContain("Exception");
        return lines.get(0);
    }

    // ---- output paths are checked before any work ----

    @Test
    void quantizeIntoAMissingFolder() {
        Path out = dir.resolve("missing").resolve("q.gguf");
        assertThat(refused("quantize", model.toString(), out.toString(), "--type", "Q8_0")).contains(out.toString())
                .contains("folder").contains("does not exist");
        assertThat(dir.resolve("missing")).doesNotExist();
    }

    @Test
    void randomModelIntoAMissingFolder() {
        Path out = dir.resolve("missing2").resolve("r.gguf");
        assertThat(refused("random-model", out.toString())).contains(out.toString()).contains("does not exist");
    }

    @Test
    void benchEngineJsonOntoAFolder() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("json-folder"));
        assertThat(refused("bench-engine", "--model", model.toString(), "--repeats", "1", "--position", "8", "--bandwidth-mib", "1",
                "--json", folder.toString())).contains(folder.toString()).contains("is a folder");
    }

    @Test
    void benchJsonOntoAFolder() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("bench-folder"));
        assertThat(refused("bench", "--model", model.toString(), "--limit", "1", "--max-tokens", "2", "--modes", "standard",
                "--threads", "1", "--json", folder.toString())).contains(folder.toString()).contains("is a folder");
    }

    @Test
    void benchHtmlIntoAMissingFolder() {
        Path out = dir.resolve("missing3").resolve("b.html");
        assertThat(refused("bench", "--model", model.toString(), "--limit", "1", "--max-tokens", "2", "--modes", "standard",
                "--threads", "1", "--html", out.toString())).contains(out.toString()).contains("does not exist");
    }

    @Test
    void generateTraceIntoAMissingFolder() {
        Path out = dir.resolve("missing4").resolve("t.jsonl");
        assertThat(refused("generate", "--model", model.toString(), "--prompt", "x", "--max-tokens", "2", "--threads", "1",
                "--trace", out.toString())).contains(out.toString()).contains("does not exist");
    }

    @Test
    void indexIntoAMissingFolder() throws IOException {
        Path src = Files.createDirectories(dir.resolve("index-src"));
        Files.writeString(src.resolve("a.py"), "def f(x):\n    return x\n");
        Path out = dir.resolve("missing5").resolve("i.rsdidx");
        assertThat(refused("index", "--model", model.toString(), "--out", out.toString(), src.toString())).contains(out.toString())
                .contains("does not exist");
    }

    @Test
    void minePatternsIntoAMissingFolderOrOntoAFolder() throws IOException {
        Path src = Files.createDirectories(dir.resolve("mine-src"));
        Files.writeString(src.resolve("a.py"), "def f(x):\n    return x\n");
        Path out = dir.resolve("missing6").resolve("p.tsv.gz");
        assertThat(refused("mine-patterns", "--model", model.toString(), "--corpus", src.toString(), "--out", out.toString()))
                .contains(out.toString()).contains("does not exist");
        Path folder = Files.createDirectories(dir.resolve("mine-folder"));
        assertThat(refused("mine-patterns", "--model", model.toString(), "--corpus", src.toString(), "--out", folder.toString()))
                .contains(folder.toString()).contains("is a folder");
    }

    // ---- nothing is replaced ----

    @Test
    void quantizeNeverReplacesAFolder() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("empty-folder"));
        assertThat(refused("quantize", model.toString(), folder.toString(), "--type", "Q8_0")).contains("is a folder");
        assertThat(folder).isDirectory();
        try (var s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
    }

    @Test
    void quantizeNeverWritesOverAnInputNamedLikeItsWorkFile() throws IOException {
        Path own = Files.createDirectories(dir.resolve("work-file-input")); // (the other tests look for .part files in dir)
        Path in = Files.copy(model, own.resolve("named.gguf.part"));
        byte[] before = Files.readAllBytes(in);
        Path out = own.resolve("named.gguf");
        EngineCommandsTest.Run r = EngineCommandsTest.rsd("quantize", in.toString(), out.toString(), "--type", "Q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
        assertThat(out).isRegularFile();
    }

    @Test
    void quantizeLeavesAFolderOrFileNamedLikeItsWorkFileAlone() throws IOException {
        Path own = Files.createDirectories(dir.resolve("work-file-aside"));
        Path out = own.resolve("aside.gguf");
        Path folder = Files.createDirectories(own.resolve("aside.gguf.part"));
        EngineCommandsTest.Run r = EngineCommandsTest.rsd("quantize", model.toString(), out.toString(), "--type", "Q8_0");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(folder).isDirectory();
        assertThat(out).isRegularFile();
        Path out2 = own.resolve("aside2.gguf");
        Path file = Files.writeString(own.resolve("aside2.gguf.part"), "keep me");
        EngineCommandsTest.Run r2 = EngineCommandsTest.rsd("quantize", model.toString(), out2.toString(), "--type", "Q8_0");
        assertThat(r2.code()).as(r2.err()).isZero();
        assertThat(file).hasContent("keep me");
        assertThat(out2).isRegularFile();
    }

    @Test
    void indexLeavesAFileNamedLikeItsWorkFileAlone() throws IOException {
        Path src = Files.createDirectories(dir.resolve("index-src2"));
        Files.writeString(src.resolve("a.py"), "def f(x):\n    return x\n");
        Path out = dir.resolve("kept.rsdidx");
        Path file = Files.writeString(dir.resolve("kept.rsdidx.tmp"), "keep me");
        EngineCommandsTest.Run r = EngineCommandsTest.rsd("index", "--model", model.toString(), "--out", out.toString(), src.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(file).hasContent("keep me");
        assertThat(out).isRegularFile();
    }

    @Test
    void minePatternsNeverWritesOverItsModel() throws IOException {
        Path src = Files.createDirectories(dir.resolve("mine-src2"));
        Files.writeString(src.resolve("a.py"), "def f(x):\n    return x\n");
        Path own = Files.copy(model, dir.resolve("mine-model.gguf"));
        byte[] before = Files.readAllBytes(own);
        assertThat(refused("mine-patterns", "--model", own.toString(), "--corpus", src.toString(), "--min-count", "1",
                "--out", own.toString())).contains("would overwrite the input file");
        assertThat(Files.readAllBytes(own)).isEqualTo(before);
    }

    // ---- only regular files are models ----

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void inspectOnAFifoDoesNotWait() throws Exception {
        Path fifo = dir.resolve("model.fifo");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(mk.waitFor()).isZero();
        try {
            assertThat(refused("inspect", "--model", fifo.toString())).contains(fifo.toString()).contains("not a regular file");
        } finally {
            // should the reader be blocked in open(), a writer releases it
            Thread release = new Thread(() -> {
                try (var w = Files.newOutputStream(fifo)) {
                    w.write(0);
                } catch (IOException ignored) {
                    // nobody was waiting
                }
            });
            release.setDaemon(true);
            release.start();
        }
    }

    // ---- messages say what is wrong ----

    @Test
    void aFolderGivenAsModelIsCalledAFolder() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("a-model-folder"));
        assertThat(refused("generate", "--model", folder.toString(), "--prompt", "x")).contains(folder.toString())
                .contains("is a folder").doesNotContain("not found");
        assertThat(refused("inspect", "--model", folder.toString())).contains("is a folder");
    }

    @Test
    void everyCommandCallsAFolderGivenAsModelAFolder() throws IOException {
        Path folder = Files.createDirectories(dir.resolve("another-model-folder"));
        Path src = Files.createDirectories(dir.resolve("folder-src"));
        Files.writeString(src.resolve("a.py"), "def f(x):\n    return x\n");
        Path data = Files.writeString(dir.resolve("folder-data.jsonl"),
                "{\"prompt\": \"def f(x):\\n\", \"canonical_solution\": \"    return x\\n\"}\n");
        List<String[]> commands = List.of(
                new String[] {"index", "--model", folder.toString(), "--out", dir.resolve("f.rsdidx").toString(), src.toString()},
                new String[] {"mine-patterns", "--model", folder.toString(), "--corpus", src.toString(), "--out",
                    dir.resolve("f.tsv.gz").toString()},
                new String[] {"replay", "--model", folder.toString(), "--dataset", data.toString()},
                new String[] {"replay", "--model", model.toString(), "--dataset", data.toString(), "--cost-model", folder.toString()},
                new String[] {"analyze", "--model", folder.toString(), "--text", "x", "--format", "ansi"});
        for (String[] c : commands) {
            assertThat(refused(c)).as(String.join(" ", c)).contains(folder.toString()).contains("is a folder").doesNotContain("does not exist");
        }
    }

    @Test
    void aPromptFileThatIsNotUtf8SaysSo() throws IOException {
        Path p = Files.write(dir.resolve("latin1.txt"), "caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThat(refused("generate", "--model", model.toString(), "--prompt-file", p.toString())).contains(p.toString())
                .contains("not UTF-8").doesNotContain("Input length");
    }

    @Test
    void aZeroContextNamesTheKey() {
        Path zero = TestModels.writeRandomLlama(dir, RandomLlama.Spec.tiny(), Map.of("llama.context_length", 0));
        assertThat(refused("generate", "--model", zero.toString(), "--prompt", "x")).contains("llama.context_length")
                .doesNotContain("LlamaConfig[");
    }
}
