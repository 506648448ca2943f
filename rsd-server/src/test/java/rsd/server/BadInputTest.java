package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests get an OpenAI-style error object with the right status and never a stack trace; the
 * server keeps serving afterwards. Context 512 tokens, body limit 4096 bytes; the byte tokenizer makes
 * token counts easy: a prompt of n ASCII characters is n + 1 tokens (BOS).
 */
class BadInputTest {
    private static final int CONTEXT = 512;
    private static final int MAX_BODY = 4096;
    private static OpenAiServer server;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 4, MAX_BODY, CONTEXT, "m", 1000),
                () -> new ScriptedGenerator(0), OpenAiServerSdkTest.QUIET);
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        server.close();
    }

    static final String C = "/v1/completions", CHAT = "/v1/chat/completions";

    static Stream<Arguments> cases() {
        String longPrompt = "a".repeat(CONTEXT); // + BOS = context + 1 tokens
        return Stream.of(
                // what, method, path, body, status, param (null: any), code (null: any)
                Arguments.of("truncated JSON", "POST", C, "{\"prompt\": ", 400, null, null),
                Arguments.of("trailing garbage", "POST", C, "{\"prompt\":\"a\"} x", 400, null, null),
                Arguments.of("body is an array", "POST", C, "[1,2]", 400, null, null),
                Arguments.of("empty body", "POST", C, "", 400, null, null),
                Arguments.of("deeply nested JSON", "POST", C, "[".repeat(1500) + "]".repeat(1500), 400, null, null),
                Arguments.of("missing prompt", "POST", C, "{\"max_tokens\":3}", 400, "prompt", null),
                Arguments.of("prompt is a number", "POST", C, "{\"prompt\":5}", 400, "prompt", null),
                Arguments.of("prompt is an object", "POST", C, "{\"prompt\":{\"a\":1}}", 400, "prompt", null),
                Arguments.of("several prompts", "POST", C, "{\"prompt\":[\"a\",\"b\"]}", 400, "prompt", null),
                Arguments.of("token id out of range", "POST", C, "{\"prompt\":[1, 99999]}", 400, "prompt", null),
                Arguments.of("token id not an integer", "POST", C, "{\"prompt\":[1, 2.5]}", 400, "prompt", null),
                Arguments.of("empty prompt", "POST", C, "{\"prompt\":[]}", 400, "prompt", null),
                Arguments.of("max_tokens is a string", "POST", C, "{\"prompt\":\"a\",\"max_tokens\":\"10\"}", 400, "max_tokens", null),
                Arguments.of("max_tokens fractional", "POST", C, "{\"prompt\":\"a\",\"max_tokens\":2.5}", 400, "max_tokens", null),
                Arguments.of("max_tokens zero", "POST", C, "{\"prompt\":\"a\",\"max_tokens\":0}", 400, "max_tokens", null),
                Arguments.of("max_tokens negative", "POST", C, "{\"prompt\":\"a\",\"max_tokens\":-3}", 400, "max_tokens", null),
                Arguments.of("max_tokens beyond context", "POST", C, "{\"prompt\":\"a\",\"max_tokens\":100000}", 400,
                        "max_tokens", "context_length_exceeded"),
                Arguments.of("prompt + max_tokens one past context", "POST", C,
                        "{\"prompt\":\"aaaaaaaaaa\",\"max_tokens\":502}", 400, "max_tokens", "context_length_exceeded"),
                Arguments.of("prompt longer than context", "POST", C, "{\"prompt\":\"" + longPrompt + "\"}", 400,
                        "prompt", "context_length_exceeded"),
                Arguments.of("temperature is a string", "POST", C, "{\"prompt\":\"a\",\"temperature\":\"hot\"}", 400, "temperature", null),
                Arguments.of("temperature too high", "POST", C, "{\"prompt\":\"a\",\"temperature\":5}", 400, "temperature", null),
                Arguments.of("top_p zero", "POST", C, "{\"prompt\":\"a\",\"top_p\":0}", 400, "top_p", null),
                Arguments.of("seed fractional", "POST", C, "{\"prompt\":\"a\",\"seed\":1.5}", 400, "seed", null),
                Arguments.of("stop is a number", "POST", C, "{\"prompt\":\"a\",\"stop\":5}", 400, "stop", null),
                Arguments.of("stop array holds a number", "POST", C, "{\"prompt\":\"a\",\"stop\":[\"x\",1]}", 400, "stop", null),
                Arguments.of("stream is a string", "POST", C, "{\"prompt\":\"a\",\"stream\":\"yes\"}", 400, "stream", null),
                Arguments.of("llama.cpp grammar", "POST", C, "{\"prompt\":\"a\",\"grammar\":\"root ::= \\\"x\\\"\"}", 400, "grammar", null),
                Arguments.of("llama.cpp json_schema", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"json_schema\":{\"type\":\"object\"}}", 400, "json_schema", null),
                Arguments.of("llama.cpp min_p", "POST", C, "{\"prompt\":\"a\",\"min_p\":0.05}", 400, "min_p", null),
                Arguments.of("llama.cpp repeat_penalty", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"repeat_penalty\":1.1}", 400, "repeat_penalty", null),
                Arguments.of("repeat_penalty a string", "POST", C, "{\"prompt\":\"a\",\"repeat_penalty\":\"1\"}", 400, "repeat_penalty", null),
                Arguments.of("detokenize id out of range", "POST", "/detokenize", "{\"tokens\":[65, 99999]}", 400, "tokens", null),
                Arguments.of("tokenize content missing", "POST", "/tokenize", "{}", 400, "content", null),
                Arguments.of("n = 2", "POST", C, "{\"prompt\":\"a\",\"n\":2}", 400, "n", null),
                Arguments.of("best_of = 3", "POST", C, "{\"prompt\":\"a\",\"best_of\":3}", 400, "best_of", null),
                Arguments.of("echo", "POST", C, "{\"prompt\":\"a\",\"echo\":true}", 400, "echo", null),
                Arguments.of("logprobs above 20", "POST", C, "{\"prompt\":\"a\",\"logprobs\":21}", 400, "logprobs", null),
                Arguments.of("logprobs true on completions", "POST", C, "{\"prompt\":\"a\",\"logprobs\":true}", 400, "logprobs", null),
                Arguments.of("top_logprobs without logprobs", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"top_logprobs\":2}", 400, "top_logprobs", null),
                Arguments.of("top_logprobs above 20", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"logprobs\":true,\"top_logprobs\":21}", 400, "top_logprobs", null),
                Arguments.of("suffix", "POST", C, "{\"prompt\":\"a\",\"suffix\":\"b\"}", 400, "suffix", null),
                Arguments.of("presence_penalty", "POST", C, "{\"prompt\":\"a\",\"presence_penalty\":0.5}", 400, "presence_penalty", null),
                Arguments.of("chat without messages", "POST", CHAT, "{\"model\":\"m\"}", 400, "messages", null),
                Arguments.of("chat messages not an array", "POST", CHAT, "{\"messages\":\"hi\"}", 400, "messages", null),
                Arguments.of("chat messages empty", "POST", CHAT, "{\"messages\":[]}", 400, "messages", null),
                Arguments.of("chat unknown role", "POST", CHAT, "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}", 400,
                        "messages[0].role", null),
                Arguments.of("chat content is a number", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":7}]}", 400,
                        "messages[0].content", null),
                Arguments.of("chat image part", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\","
                        + "\"image_url\":{\"url\":\"x\"}}]}]}", 400, "messages[0].content[0]", null),
                Arguments.of("chat n = 3", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":3}", 400, "n", null),
                Arguments.of("chat tools", "POST", CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"type\":"
                        + "\"function\",\"function\":{\"name\":\"f\"}}]}", 400, "tools", null),
                Arguments.of("chat max_completion_tokens zero", "POST", CHAT,
                        "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_completion_tokens\":0}", 400, "max_completion_tokens", null),
                Arguments.of("oversized body", "POST", C, "{\"prompt\":\"" + "a".repeat(MAX_BODY) + "\"}", 413, null,
                        "request_too_large"),
                Arguments.of("unknown route", "POST", "/v1/embeddings", "{}", 404, null, "unknown_url"),
                Arguments.of("unknown root route", "GET", "/", null, 404, null, "unknown_url"),
                Arguments.of("unknown model", "GET", "/v1/models/gpt-4", null, 404, "model", "model_not_found"),
                Arguments.of("GET on completions", "GET", C, null, 405, null, "method_not_allowed"),
                Arguments.of("DELETE on chat", "DELETE", CHAT, null, 405, null, "method_not_allowed"),
                Arguments.of("POST on health", "POST", "/health", "{}", 405, null, "method_not_allowed"),
                Arguments.of("PUT on metrics", "PUT", "/metrics", "x", 405, null, "method_not_allowed"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void badRequestsGetAnOpenAiErrorObject(String what, String method, String path, String body, int status,
                                           String param, String code) throws Exception {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body);
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(path)).method(method, publisher)
                .header("Content-Type", "application/json").build());
        assertError(r, status, param, code);
        if (status == 405) {
            assertThat(r.headers().firstValue("Allow")).isPresent();
        }
    }

    @Test
    void nonUtf8BodyIsRefused() throws Exception {
        byte[] body = "{\"prompt\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1); // é as a lone 0xE9 byte
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(C)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", "application/json").build());
        assertError(r, 400, null, null);
        assertThat(error(r).get("message").asText()).contains("UTF-8");
    }

    @Test
    void unknownFieldsAreIgnoredAndTheContextBoundaryIsExact() throws Exception {
        // 10 characters + BOS = 11 prompt tokens; 11 + 501 = 512 = the whole context: allowed.
        HttpResponse<String> r = send(HttpRequest.newBuilder(uri(C)).POST(HttpRequest.BodyPublishers.ofString(
                "{\"prompt\":\"aaaaaaaaaa\",\"max_tokens\":501,\"temperature\":0,\"frobnicate\":{\"x\":[1,2]},\"user\":\"u\"}"))
                .header("Content-Type", "application/json").build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = OpenAiServer.JSON.readTree(r.body());
        assertThat(body.at("/usage/completion_tokens").asInt()).isEqualTo(501);
        assertThat(body.at("/usage/total_tokens").asInt()).isEqualTo(CONTEXT);
    }

    @Test
    void serverKeepsServingAndCountsErrors() throws Exception {
        send(HttpRequest.newBuilder(uri(C)).POST(HttpRequest.BodyPublishers.ofString("{")).header("Content-Type", "application/json").build());
        HttpResponse<String> health = send(HttpRequest.newBuilder(uri("/health")).build());
        assertThat(health.statusCode()).isEqualTo(200);
        HttpResponse<String> metrics = send(HttpRequest.newBuilder(uri("/metrics")).build());
        assertThat(OpenAiServerSdkTest.value(metrics.body(), "rsd_http_requests_total{route=\"/v1/completions\",status=\"400\"}"))
                .isGreaterThanOrEqualTo(1);
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private static JsonNode error(HttpResponse<String> r) throws Exception {
        return OpenAiServer.JSON.readTree(r.body()).get("error");
    }

    private static void assertError(HttpResponse<String> r, int status, String param, String code) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("rsd.server.");
        JsonNode e = error(r);
        assertThat(e).as(r.body()).isNotNull();
        assertThat(e.get("message").isTextual()).isTrue();
        assertThat(e.get("message").asText()).isNotBlank();
        assertThat(e.get("type").isTextual()).isTrue();
        assertThat(e.has("param")).isTrue();
        assertThat(e.has("code")).isTrue();
        if (param != null) {
            assertThat(e.get("param").asText()).as(r.body()).isEqualTo(param);
        }
        if (code != null) {
            assertThat(e.get("code").asText()).as(r.body()).isEqualTo(code);
        }
    }
}
