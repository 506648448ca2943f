package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;


import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.completions.CompletionCreateParams;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.TokenListener;
import rsd.error.RsdException;

/** What clients see when generation fails, and non-streaming responses that outlive the keep-alive. */
class FailureAndKeepAliveTest {
    /** Fails with the given exception once the prompt contains "fail"; otherwise scripted. */
    static final class FailingGenerator extends ScriptedGenerator {
        private final RuntimeException failure;

        FailingGenerator(RuntimeException failure, long delayMillis) {
            super(delayMillis);
            this.failure = failure;
        }

        @Override
        public GenerationResult generate(int[] promptIds, GenerationSettings settings, TokenListener listener,
                                         BooleanSupplier cancelled) {
            if (tokenizer().decode(promptIds).contains("fail")) {
                if (listener != null) {
                    listener.onToken('x', "x", false);
                }
                throw failure;
            }
            return super.generate(promptIds, settings, listener, cancelled);
        }
    }

    private static HttpResponse<String> post(OpenAiServer server, String body) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/completions"))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void userErrorFromTheGeneratorIsA400AndAStreamErrorEvent() throws Exception {
        try (OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 4096, 256, "m", 1000),
                () -> new FailingGenerator(new RsdException("prompt too long for this test"), 0), OpenAiServerSdkTest.QUIET)) {
            HttpResponse<String> r = post(server, "{\"prompt\":\"please fail\",\"max_tokens\":4}");
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(OpenAiServer.JSON.readTree(r.body()).at("/error/message").asText()).isEqualTo("prompt too long for this test");

            HttpResponse<String> s = post(server, "{\"prompt\":\"please fail\",\"max_tokens\":4,\"stream\":true}");
            assertThat(s.statusCode()).isEqualTo(200);
            String last = s.body().strip().lines().filter(l -> l.startsWith("data: ")).reduce((a, b) -> b).orElseThrow();
            assertThat(OpenAiServer.JSON.readTree(last.substring(6)).at("/error/message").asText())
                    .isEqualTo("prompt too long for this test");
            assertThat(post(server, "{\"prompt\":\"fine\",\"max_tokens\":4}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void internalErrorIsA500WithoutStackTraceAndIsLogged() throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        try (OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 4096, 256, "m", 1000),
                () -> new FailingGenerator(new IllegalStateException("kernel exploded"), 0),
                new PrintStream(log, true, StandardCharsets.UTF_8))) {
            HttpResponse<String> r = post(server, "{\"prompt\":\"please fail\",\"max_tokens\":4}");
            assertThat(r.statusCode()).isEqualTo(500);
            JsonNode e = OpenAiServer.JSON.readTree(r.body()).get("error");
            assertThat(e.get("type").asText()).isEqualTo("server_error");
            assertThat(r.body()).doesNotContain("kernel exploded").doesNotContain("\tat ");
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("kernel exploded").contains("\tat ");
            assertThat(post(server, "{\"prompt\":\"fine\",\"max_tokens\":4}").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void slowNonStreamingResponseWithKeepAlivesStillParsesInTheSdk() throws Exception {
        // 60 tokens at 5 ms = 300 ms, keep-alive every 40 ms: the 200 is committed early and padded with spaces.
        try (OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 4096, 256, "m", 40),
                () -> new ScriptedGenerator(5), OpenAiServerSdkTest.QUIET)) {
            HttpResponse<String> raw = post(server, "{\"prompt\":\"slow\",\"max_tokens\":60,\"temperature\":0}");
            assertThat(raw.statusCode()).isEqualTo(200);
            assertThat(raw.body()).startsWith(" ");
            OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("x")
                    .maxRetries(0).build();
            try {
                String text = client.completions().create(CompletionCreateParams.builder().model("m").prompt("slow")
                        .maxTokens(60).temperature(0.0).build()).choices().get(0).text();
                int[] ids = new ByteTokenizer().encode("slow");
                int[] withBos = new int[ids.length + 1];
                withBos[0] = ByteTokenizer.BOS;
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                assertThat(text).isEqualTo(ScriptedGenerator.expected(withBos, 60));
            } finally {
                client.close();
            }
        }
    }
}
