package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;


import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionCreateParams;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.Modes;
import rsd.decode.Decoder;
import rsd.decode.GenerationSettings;
import rsd.model.TestModels;
import rsd.tokenizer.ChatFormat;
import rsd.tokenizer.Cl100kVocabulary;

/**
 * {@code rsd serve} end to end on the real stack: a tiny random Llama carrying the cl100k vocabulary and
 * Llama-3 chat tokens, loaded by the command itself; the official OpenAI SDK as the client. Greedy output
 * through the server must equal {@code rsd generate} and the standard decoder, whatever mode serves it.
 */
class ServeCommandTest {
    private static final int CONTEXT = 512;
    private static final String PROMPT = "def fibonacci(n):\n    ";
    @TempDir
    static Path dir;
    static Path model;
    static ServeCommand serve;
    static Thread serving;
    static final AtomicInteger EXIT = new AtomicInteger(-1);
    static final StringWriter OUT = new StringWriter();
    static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        // Tied embeddings halve the file: 100k tokens x 64 floats.
        int vocabulary = ((List<?>) Cl100kVocabulary.metadata().get("tokenizer.ggml.tokens")).size();
        model = TestModels.writeRandomLlama(dir, TestModels.tiny().withShape(64, 2, 4, 2, 128, vocabulary).withTied(true),
                Cl100kVocabulary.metadata());
        serve = new ServeCommand();
        CommandLine cl = new CommandLine(serve);
        cl.setOut(new PrintWriter(OUT, true));
        serving = Thread.ofPlatform().name("serve-command").start(() -> EXIT.set(cl.execute("--model", model.toString(),
                "--port", "0", "--threads", "1", "--ctx", Integer.toString(CONTEXT), "--parallel", "2", "--queue", "4")));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (serve.running == null && serving.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(serve.running).as("server up; output: " + OUT).isNotNull();
        while (!serve.running.ready() && System.nanoTime() < deadline) {
            Thread.sleep(20); // each slot's warm-up generation
        }
        assertThat(serve.running.ready()).as("warm-up done").isTrue();
        client = OpenAIOkHttpClient.builder().baseUrl(serve.running.baseUrl().toString()).apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(60)).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        serve.stop.countDown();
        serving.join(30_000);
        assertThat(serving.isAlive()).isFalse();
        assertThat(EXIT.get()).isZero();
    }

    @Test
    void startupLineNamesTheUrlAndTheChosenMode() {
        String out = OUT.toString();
        assertThat(out).contains("listening on http://127.0.0.1:" + serve.running.port() + "/v1");
        assertThat(out).contains("mode " + serve.running.mode());
        assertThat(serve.running.mode()).isEqualTo(Modes.AUTO); // the registry has an auto mode
    }

    @Test
    void autoIsServableWithAnyModel() {
        // serve --mode auto (its default) needs no fallback: the registry offers auto without a draft model.
        assertThat(Modes.available(new ModeResources(null, null, 4, null))).contains(Modes.AUTO, Modes.STANDARD)
                .doesNotContain(Modes.DRAFT);
    }

    @Test
    void greedyCompletionEqualsRsdGenerateStreamingAndNot() throws Exception {
        StringWriter genOut = new StringWriter();
        CommandLine gen = new CommandLine(new GenerateCommand());
        gen.setOut(new PrintWriter(genOut, true));
        gen.setErr(new PrintWriter(new StringWriter(), true));
        int code = gen.execute("--model", model.toString(), "--prompt", PROMPT, "--max-tokens", "24", "--mode", "standard",
                "--json", "--threads", "1", "--ctx", Integer.toString(CONTEXT));
        assertThat(code).isZero();
        String[] lines = genOut.toString().strip().split("\n");
        JsonNode generated = CliTest.JSON.readTree(lines[lines.length - 1]);
        String expected = generated.get("text").asText();
        assertThat(generated.get("total_tokens").asInt()).isPositive();
        assertThat(expected).isNotEmpty();

        CompletionCreateParams params = CompletionCreateParams.builder().model("rsd").prompt(PROMPT).maxTokens(24)
                .temperature(0.0).build();
        Completion c = client.completions().create(params);
        assertThat(c.choices().get(0).text()).isEqualTo(expected);
        assertThat(c.usage().get().completionTokens()).isEqualTo(generated.get("total_tokens").asLong());
        JsonNode rsd = c._additionalProperties().get("rsd").convert(JsonNode.class);
        assertThat(rsd.get("mode").asText()).isEqualTo(serve.running.mode());
        assertThat(rsd.get("forward_passes").asInt()).isBetween(1, 24);

        StringBuilder streamed = new StringBuilder();
        try (var s = client.completions().createStreaming(params)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo(expected);
    }

    @Test
    void greedyChatEqualsTheStandardDecoderOnTheLlama3Format() {
        List<ChatFormat.Message> dialog = List.of(new ChatFormat.Message("system", "You are a Python expert."),
                new ChatFormat.Message("user", "Write a function that adds two numbers."));
        String expected;
        try (LoadedModel loaded = LoadedModel.open(model, 1, CONTEXT);
             Decoder standard = Modes.decoder(Modes.STANDARD, ModeResources.of(loaded.model(), loaded.tokenizer()))) {
            int[] ids = new ChatFormat(loaded.tokenizer()).encodeDialogPrompt(dialog);
            expected = standard.generate(ids, GenerationSettings.greedy(20), null, () -> false).text();
        }
        assertThat(expected).isNotEmpty();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("rsd")
                .addSystemMessage("You are a Python expert.").addUserMessage("Write a function that adds two numbers.")
                .maxCompletionTokens(20).temperature(0.0).build();
        assertThat(client.chat().completions().create(params).choices().get(0).message().content()).hasValue(expected);
        StringBuilder streamed = new StringBuilder();
        try (var s = client.chat().completions().createStreaming(params)) {
            s.stream().forEach(chunk -> chunk.choices().forEach(ch -> ch.delta().content().ifPresent(streamed::append)));
        }
        assertThat(streamed.toString()).isEqualTo(expected);
    }

    @Test
    void modelsReportsTheFileName() {
        assertThat(client.models().list().data()).extracting(m -> m.id())
                .containsExactly(model.getFileName().toString().replace(".gguf", ""));
    }

    @Test
    void badOptionsAreOneLineAndExitCode2() {
        for (String[] args : List.of(
                new String[] {"--parallel", "0"},
                new String[] {"--port", "70000"},
                new String[] {"--queue", "-1"},
                new String[] {"--max-body", "10"},
                new String[] {"--cors-origin", "http://app.example/path"},
                new String[] {"--allowed-host", "http://box.lan"},
                new String[] {"--api-key", " "},
                new String[] {"--mode", "nonsense", "--model", model.toString(), "--ctx", "64", "--threads", "1"},
                new String[] {"--model", dir.resolve("missing.gguf").toString()},
                new String[] {"--port", Integer.toString(serve.running.port()), "--model", model.toString(), "--ctx", "64",
                        "--threads", "1"})) {
            CliTest.Outcome o = CliTest.run(new ServeCommand(), args);
            assertThat(o.code()).as(String.join(" ", args) + " -> " + o.err()).isEqualTo(2);
            assertThat(o.err().strip().lines().count()).as(o.err()).isEqualTo(1);
            assertThat(o.err()).startsWith("rsd: ");
        }
        CliTest.Outcome unknown = CliTest.run(new ServeCommand(), "--mode", "turbo", "--model", model.toString(), "--ctx", "64",
                "--threads", "1", "--port", "0");
        assertThat(unknown.err()).contains("unknown mode 'turbo'").contains("available modes: ");
        CliTest.Outcome draft = CliTest.run(new ServeCommand(), "--mode", "draft", "--model", model.toString(), "--ctx", "64",
                "--threads", "1", "--port", "0", "--draft-model", dir.resolve("no-draft.gguf").toString());
        assertThat(draft.code()).isEqualTo(2);
        assertThat(draft.err()).contains("draft");
        assertThat(Files.exists(model)).isTrue();
    }

    @Test
    void aChatTemplateThatDoesNotParseStopsTheServerBeforeItListens() throws Exception {
        Path broken = dir.resolve("broken.jinja");
        Files.writeString(broken, "{% if messages %}{{ messages[0].content }}");
        for (String option : new String[] {"--chat-template", "--chat-template-file"}) {
            CliTest.Outcome o = CliTest.run(new ServeCommand(), "--model", model.toString(), "--ctx", "64", "--threads", "1",
                    "--port", "0", option, broken.toString());
            assertThat(o.code()).as(o.err()).isEqualTo(2);
            assertThat(o.err().strip()).startsWith("rsd: chat template " + broken + ": the chat template does not parse: ")
                    .doesNotContain("\n");
            assertThat(o.out()).doesNotContain("listening");
        }
        assertThat(OUT.toString()).contains("chat prompts in the built-in Llama 3 format");
    }
}
