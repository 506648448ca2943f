package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;


import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import rsd.decode.GenerationSettings;
import rsd.tokenizer.ChatFormat;

/** The server as the official OpenAI Java SDK sees it, over a deterministic scripted generator. */
class OpenAiServerSdkTest {
    static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());
    private static OpenAiServer server;
    private static OpenAIClient client;
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();

    @BeforeAll
    static void start() {
        server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 2, 4, 1 << 16, 512, "scripted-model", 1000),
                () -> new ScriptedGenerator(0), QUIET);
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
    }

    @AfterAll
    static void stop() {
        client.close();
        server.close();
    }

    private static int[] withBos(String prompt) {
        int[] ids = TOKENIZER.encode(prompt);
        int[] out = new int[ids.length + 1];
        out[0] = ByteTokenizer.BOS;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    @Test
    void completionMatchesTheGeneratorAndCarriesUsageAndRsdMetrics() {
        String prompt = "def add(a, b):";
        Completion c = client.completions().create(CompletionCreateParams.builder().model("scripted-model")
                .prompt(prompt).maxTokens(12).temperature(0.0).build());
        assertThat(c.choices()).hasSize(1);
        CompletionChoice choice = c.choices().get(0);
        assertThat(choice.text()).isEqualTo(ScriptedGenerator.expected(withBos(prompt), 12));
        assertThat(choice.finishReason()).isEqualTo(CompletionChoice.FinishReason.LENGTH);
        assertThat(c.model()).isEqualTo("scripted-model");
        assertThat(c.usage()).isPresent();
        assertThat(c.usage().get().promptTokens()).isEqualTo(prompt.length() + 1);
        assertThat(c.usage().get().completionTokens()).isEqualTo(12);
        assertThat(c.usage().get().totalTokens()).isEqualTo(prompt.length() + 13);
        JsonNode rsd = c._additionalProperties().get("rsd").convert(JsonNode.class);
        assertThat(rsd.get("mode").asText()).isEqualTo("scripted");
        assertThat(rsd.get("forward_passes").asInt()).isEqualTo(6);
        assertThat(rsd.get("tokens_per_forward").asDouble()).isEqualTo(2.0);
        assertThat(rsd.get("acceptance_rate").asDouble()).isEqualTo(0.5);
        assertThat(rsd.at("/per_rule/fake/drafted").asInt()).isEqualTo(12);
        assertThat(rsd.at("/per_rule/fake/accepted").asInt()).isEqualTo(6);
    }

    @Test
    void streamedCompletionConcatenatesToTheSameText() {
        String prompt = "for i in range(10):";
        StringBuilder text = new StringBuilder();
        List<String> finishes = new ArrayList<>();
        JsonNode rsd = null;
        try (StreamResponse<Completion> stream = client.completions().createStreaming(CompletionCreateParams.builder()
                .model("scripted-model").prompt(prompt).maxTokens(40).temperature(0.0).build())) {
            for (Completion chunk : (Iterable<Completion>) stream.stream()::iterator) {
                for (CompletionChoice ch : chunk.choices()) {
                    text.append(ch.text());
                    ch._finishReason().asKnown().ifPresent(f -> finishes.add(f.asString()));
                }
                if (chunk._additionalProperties().containsKey("rsd")) {
                    rsd = chunk._additionalProperties().get("rsd").convert(JsonNode.class);
                }
            }
        }
        assertThat(text.toString()).isEqualTo(ScriptedGenerator.expected(withBos(prompt), 40));
        assertThat(finishes).containsExactly("length");
        assertThat(rsd).isNotNull();
        assertThat(rsd.at("/per_rule/fake/drafted").asInt()).isEqualTo(40);
    }

    @Test
    void stopStringEndsTheCompletionBeforeIt() {
        String prompt = "x";
        String full = ScriptedGenerator.expected(withBos(prompt), 60);
        String stop = full.substring(20, 23);
        String before = full.substring(0, full.indexOf(stop));
        Completion c = client.completions().create(CompletionCreateParams.builder().model("m").prompt(prompt)
                .maxTokens(60).temperature(0.0).stopOfStrings(List.of("never-appears", stop)).build());
        assertThat(c.choices().get(0).text()).isEqualTo(before);
        assertThat(c.choices().get(0).finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);

        StringBuilder streamed = new StringBuilder();
        try (var stream = client.completions().createStreaming(CompletionCreateParams.builder().model("m").prompt(prompt)
                .maxTokens(60).temperature(0.0).stop(stop).build())) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(ch -> streamed.append(ch.text())));
        }
        assertThat(streamed.toString()).isEqualTo(before);
    }

    @Test
    void chatUsesTheLlama3FormatStreamingAndNot() {
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("scripted-model")
                .addSystemMessage("You write Python.").addUserMessage("Write hello world.").maxCompletionTokens(30)
                .temperature(0.0).build();
        int[] expectedPrompt = new ChatFormat(TOKENIZER).encodeDialogPrompt(List.of(
                new ChatFormat.Message("system", "You write Python."), new ChatFormat.Message("user", "Write hello world.")));
        String expected = ScriptedGenerator.expected(expectedPrompt, 30);

        ChatCompletion c = client.chat().completions().create(params);
        assertThat(c.choices().get(0).message().content()).contains(expected);
        assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        assertThat(c.usage().get().promptTokens()).isEqualTo(expectedPrompt.length);

        StringBuilder streamed = new StringBuilder();
        List<String> roles = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunk -> chunk.choices().forEach(ch -> {
                ch.delta().content().ifPresent(streamed::append);
                ch.delta().role().ifPresent(r -> roles.add(r.asString()));
            }));
        }
        assertThat(streamed.toString()).isEqualTo(expected);
        assertThat(roles).containsExactly("assistant");
    }

    @Test
    void chatEndsAtEndOfTextWithFinishReasonStop() {
        ChatCompletion c = client.chat().completions().create(ChatCompletionCreateParams.builder().model("m")
                .addUserMessage("stop soon [eos@5]").maxCompletionTokens(50).temperature(0.0).build());
        assertThat(c.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(c.usage().get().completionTokens()).isEqualTo(6); // five text tokens, then the end token
        assertThat(c.choices().get(0).message().content().orElseThrow()).hasSize(5);
    }

    @Test
    void streamWithIncludeUsageEndsWithAUsageChunk() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (var stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder().model("m")
                .addUserMessage("hi").maxCompletionTokens(7).temperature(0.0)
                .streamOptions(com.openai.models.chat.completions.ChatCompletionStreamOptions.builder()
                        .includeUsage(true).build()).build())) {
            stream.stream().forEach(chunks::add);
        }
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage()).isPresent();
        assertThat(last.usage().get().completionTokens()).isEqualTo(7);
    }

    @Test
    void modelsListsTheServedModel() {
        List<Model> models = client.models().list().data();
        assertThat(models).extracting(Model::id).containsExactly("scripted-model");
        assertThat(client.models().retrieve("scripted-model").id()).isEqualTo("scripted-model");
    }

    @Test
    void healthAndMetricsReportRequestsAndTokens() throws Exception {
        client.completions().create(CompletionCreateParams.builder().model("m").prompt("count me").maxTokens(3)
                .temperature(0.0).build());
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(base() + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(OpenAiServer.JSON.readTree(health.body()).get("status").asText()).isEqualTo("ok");
            HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(URI.create(base() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
            String text = metrics.body();
            assertThat(text).contains("# TYPE rsd_http_requests_total counter");
            assertThat(value(text, "rsd_http_requests_total{route=\"/v1/completions\",status=\"200\"}")).isGreaterThanOrEqualTo(1);
            assertThat(MetricsTest.sample(text, "vllm:generation_tokens_total", "model_name", "scripted-model"))
                    .isGreaterThanOrEqualTo(3);
            assertThat(MetricsTest.sample(text, "rsd_drafted_tokens_total", "rule", "fake")).isGreaterThanOrEqualTo(3);
            assertThat(value(text, "rsd_http_request_duration_seconds_count{route=\"/v1/completions\"}")).isGreaterThanOrEqualTo(1);
            assertThat(text).contains("rsd_http_request_duration_seconds_bucket{route=\"/v1/completions\",le=\"+Inf\"}");
            assertThat(MetricsTest.sample(text, "vllm:num_requests_waiting", "model_name", "scripted-model")).isEqualTo(0);
            // Every line is a comment or a sample in the text exposition format; every sample's family is typed.
            java.util.Set<String> typed = new java.util.HashSet<>();
            for (String line : text.split("\n")) {
                if (line.startsWith("# TYPE ")) {
                    typed.add(line.split(" ")[2]);
                    continue;
                }
                if (line.startsWith("# HELP ")) {
                    continue;
                }
                assertThat(line).matches("[a-z_:][a-z0-9_:]*(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? -?[0-9.E+-]+"
                        + "|[a-z_:][a-z0-9_:]*\\{.*le=\"\\+Inf\"\\} [0-9.E+]+");
                String name = line.replaceAll("[{ ].*", "");
                String family = name.replaceAll("_(bucket|sum|count)$", "");
                assertThat(typed.contains(name) || typed.contains(family)).as(line).isTrue();
            }
        }
    }

    private static String base() {
        return "http://127.0.0.1:" + server.port();
    }

    static double value(String metrics, String series) {
        for (String line : metrics.split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1));
            }
        }
        throw new AssertionError("no series " + series + " in\n" + metrics);
    }

    @Test
    void greedySettingsReachTheGenerator() {
        // The server passes the request's numbers through unchanged: check via a recording generator.
        List<GenerationSettings> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (OpenAiServer s = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 1, 1 << 16, 512, "rec", 1000),
                () -> new ScriptedGenerator(0) {
                    @Override
                    public rsd.decode.GenerationResult generate(int[] p, GenerationSettings st, rsd.decode.TokenListener l,
                                                                java.util.function.BooleanSupplier c) {
                        seen.add(st);
                        return super.generate(p, st, l, c);
                    }
                }, QUIET)) {
            OpenAIClient c = OpenAIOkHttpClient.builder().baseUrl(s.baseUrl().toString()).apiKey("x").maxRetries(0).build();
            try {
                c.completions().create(CompletionCreateParams.builder().model("m").prompt("p").maxTokens(9).temperature(0.7)
                        .topP(0.9).seed(1234).stopOfStrings(List.of("a", "bc")).build());
            } finally {
                c.close();
            }
        }
        assertThat(seen).containsExactly(new GenerationSettings(9, 0.7f, 0, 0.9f, 1234L, List.of("a", "bc")));
    }
    @Test
    void bindsToLoopbackAndRefusesABusyPortWithAUserError() {
        assertThat(server.isLoopback()).isTrue();
        assertThat(server.baseUrl().toString()).isEqualTo("http://127.0.0.1:" + server.port() + "/v1");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpenAiServer.start(
                        new ServerOptions("127.0.0.1", server.port(), 1, 0, 4096, 64, "m", 1000), () -> new ScriptedGenerator(0), QUIET))
                .isInstanceOf(rsd.error.RsdException.class).hasMessageStartingWith("cannot listen on 127.0.0.1:" + server.port());
    }
}
