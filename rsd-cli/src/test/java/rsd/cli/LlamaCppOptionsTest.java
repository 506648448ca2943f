package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.testing.TestTarget;

/** llama.cpp's short option names mean the same as rsd's long ones; every command finds the embedded model. */
class LlamaCppOptionsTest {
    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void makeModel() {
        try (LoadedModel m = TestTarget.randomModel(dir, 1)) {
            model = m.path();
        }
    }

    private static String model() {
        return model.toString();
    }

    @Test
    void generateShortNamesGiveTheSameResultAsLongNames() throws Exception {
        CliTest.Outcome longNames = CliTest.run(CliTest.generate(), "--model", model(), "--prompt", "def add(a, b):\n",
                "--max-tokens", "12", "--temperature", "0.8", "--seed", "5", "--threads", "1", "--ctx", "64",
                "--gamma", "2", "--mode", "indent", "--json");
        CliTest.Outcome shortNames = CliTest.run(CliTest.generate(), "-m", model(), "-p", "def add(a, b):\n",
                "-n", "12", "--temp", "0.8", "--seed", "5", "-t", "1", "-c", "64", "--draft-max", "2", "--mode", "indent",
                "--json");
        assertThat(longNames.code()).as(longNames.err()).isZero();
        assertThat(shortNames.code()).as(shortNames.err()).isZero();
        JsonNode a = CliTest.JSON.readTree(longNames.lastLine());
        JsonNode b = CliTest.JSON.readTree(shortNames.lastLine());
        assertThat(b.get("token_ids")).isEqualTo(a.get("token_ids"));
        assertThat(a.get("token_ids").size()).isPositive();

        CliTest.Outcome nPredict = CliTest.run(CliTest.generate(), "-m", model(), "-p", "x", "--n-predict", "3",
                "--ctx-size", "64", "-t", "1", "--mode", "standard", "--json");
        assertThat(nPredict.code()).as(nPredict.err()).isZero();
        assertThat(CliTest.JSON.readTree(nPredict.lastLine()).get("total_tokens").asInt()).isLessThanOrEqualTo(3);
    }

    @Test
    void draftMinDropsShortGuessesAndKeepsTheOutput() throws Exception {
        // The model drafts for itself, so every guess is accepted and each step takes 4 guesses plus its own
        // token; after 20 tokens only 3 guesses fit in -n 24, a guess --draft-min 4 does not verify.
        String[] common = {"-m", model(), "--draft-model", model(), "-p", "def add(a, b):\n", "-n", "24", "-t", "1",
                "--mode", "draft", "--draft-max", "4", "--json"};
        CliTest.Outcome any = CliTest.run(CliTest.generate(), common);
        CliTest.Outcome atLeast = CliTest.run(CliTest.generate(), concat(common, "--draft-min", "4"));
        assertThat(any.code()).as(any.err()).isZero();
        assertThat(atLeast.code()).as(atLeast.err()).isZero();
        JsonNode a = CliTest.JSON.readTree(any.lastLine());
        JsonNode b = CliTest.JSON.readTree(atLeast.lastLine());
        assertThat(a.get("total_tokens").asInt()).isEqualTo(24);
        assertThat(b.get("token_ids")).isEqualTo(a.get("token_ids"));
        assertThat(a.get("drafted_tokens").asLong()).isEqualTo(4 * 4 + 3);
        assertThat(b.get("drafted_tokens").asLong()).isEqualTo(4 * 4);
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }

    @Test
    void generateReadsThePromptFromStdinWithFileDash() throws Exception {
        CliTest.Outcome fromText = CliTest.run(CliTest.generate(), "-m", model(), "-p", "def f(x):\n", "-n", "8", "-t", "1",
                "--mode", "standard", "--json");
        CliTest.Outcome fromStdin = withStdin("def f(x):\n", () -> CliTest.run(CliTest.generate(), "-m", model(), "-f", "-",
                "-n", "8", "-t", "1", "--mode", "standard", "--json"));
        assertThat(fromStdin.code()).as(fromStdin.err()).isZero();
        assertThat(CliTest.JSON.readTree(fromStdin.lastLine()).get("token_ids"))
                .isEqualTo(CliTest.JSON.readTree(fromText.lastLine()).get("token_ids"));
    }

    @Test
    void stdinThatIsNotUtf8IsOneLineAndExitTwo() {
        CliTest.Outcome bad = withStdin(new byte[] {(byte) 0xff, (byte) 0xfe, 'a'},
                () -> CliTest.run(CliTest.generate(), "-m", model(), "-f", "-", "-n", "2", "-t", "1"));
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err().strip()).contains("stdin is not UTF-8").doesNotContain("\n");
    }

    @Test
    void tokenizeTakesShortNamesAndStdin() {
        MainRun.Outcome longNames = MainRun.run("tokenize", "--model", model(), "--prompt", "def f():", "--json");
        MainRun.Outcome shortNames = MainRun.run("tokenize", "-m", model(), "-p", "def f():", "--json");
        MainRun.Outcome fromStdin = withStdin("def f():", () -> MainRun.run("tokenize", "-m", model(), "-f", "-", "--json"));
        assertThat(longNames.code()).as(longNames.err()).isZero();
        assertThat(shortNames.out()).isEqualTo(longNames.out());
        assertThat(fromStdin.out()).isEqualTo(longNames.out());
    }

    @Test
    void commandsWithoutModelUseTheEmbeddedOne() {
        String embedded = LoadedModel.DEFAULT_MODEL.toString();
        MainRun.Outcome inspect = MainRun.run("inspect");
        assertThat(inspect.code()).as(inspect.err()).isZero();
        assertThat(inspect.out()).contains("file: " + embedded);

        MainRun.Outcome byDefault = MainRun.run("tokenize", "-p", "def f():", "--json");
        MainRun.Outcome named = MainRun.run("tokenize", "-m", embedded, "-p", "def f():", "--json");
        assertThat(byDefault.code()).as(byDefault.err()).isZero();
        assertThat(byDefault.out()).isEqualTo(named.out());

        picocli.CommandLine main = new picocli.CommandLine(new Main());
        for (String command : main.getSubcommands().keySet()) {
            picocli.CommandLine.Model.OptionSpec option = main.getSubcommands().get(command).getCommandSpec().findOption("--model");
            if (option != null) {
                assertThat(option.names()).as(command).contains("-m");
                assertThat(option.required()).as(command).isFalse();
                assertThat(option.initialValue()).as(command).isEqualTo(LoadedModel.DEFAULT_MODEL);
            }
        }
        assertThat(main.getSubcommands().get("replay").getCommandSpec().findOption("-m")).isNotNull();
    }

    @Test
    void aMissingDefaultStyleModelNamesTheOption() {
        MainRun.Outcome o = MainRun.run("tokenize", "-m", dir.resolve("gone.gguf").toString(), "-p", "x");
        assertThat(o.code()).isEqualTo(2);
        assertThat(o.err().strip()).contains("gone.gguf", "not found", "--model").doesNotContain("\n");
    }

    private static <T> T withStdin(String text, java.util.function.Supplier<T> run) {
        return withStdin(text.getBytes(StandardCharsets.UTF_8), run);
    }

    private static <T> T withStdin(byte[] bytes, java.util.function.Supplier<T> run) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(bytes));
        try {
            return run.get();
        } finally {
            System.setIn(old);
        }
    }
}
