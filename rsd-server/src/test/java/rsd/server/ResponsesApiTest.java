package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.ResponsesModel;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseStatus;
import com.openai.models.responses.ResponseStreamEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import rsd.tokenizer.ChatFormat.Message;
import rsd.tokenizer.ChatTemplate;

/** /v1/responses, as the official OpenAI Java SDK and raw HTTP see it, over the scripted generator. */
class ResponsesApiTest {
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    private static OpenAiServer server;
    private static OpenAIClient client;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 4, 1 << 16, 512, "scripted-model", 1000),
                () -> new ScriptedGenerator(0), OpenAiServerSdkTest.QUIET);
        client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("unused").maxRetries(0)
                .timeout(Duration.ofSeconds(20)).build();
        http = HttpClient.newHttpClient();
    }

    @AfterAll
    static void stop() {
        client.close();
        http.close();
        server.close();
    }

    private static int[] prompt(Message... dialog) {
        return ChatTemplate.builtIn(TOKENIZER).encodeDialogPrompt(List.of(dialog));
    }

    private static String text(Response r) {
        return r.output().get(0).asMessage().content().get(0).asOutputText().text();
    }

    @Test
    void instructionsAndAStringInputAreASystemAndAUserTurn() {
        ResponseCreateParams params = ResponseCreateParams.builder().model(ResponsesModel.ofString("scripted-model"))
                .instructions("You write Python.").input("Write hello world.").maxOutputTokens(30).temperature(0.0).build();
        int[] expectedPrompt = prompt(new Message("system", "You write Python."), new Message("user", "Write hello world."));
        Response r = client.responses().create(params);
        assertThat(text(r)).isEqualTo(ScriptedGenerator.expected(expectedPrompt, 30));
        // Cut by max_output_tokens: OpenAI calls that incomplete.
        assertThat(r.status()).contains(ResponseStatus.INCOMPLETE);
        assertThat(r.incompleteDetails().get().reason().get().asString()).isEqualTo("max_output_tokens");
        assertThat(r.usage().get().inputTokens()).isEqualTo(expectedPrompt.length);
        assertThat(r.usage().get().outputTokens()).isEqualTo(30);
        assertThat(r.usage().get().totalTokens()).isEqualTo(expectedPrompt.length + 30);
        assertThat(r.id()).startsWith("resp_");
        assertThat(r.model().asString()).isEqualTo("scripted-model");
        assertThat(r.temperature()).contains(0.0);
        assertThat(r.maxOutputTokens()).contains(30L);
        r.validate(); // every field the SDK requires is there, with the right type
    }

    @Test
    void streamingSendsTheTypedEventsAndTheSameText() {
        ResponseCreateParams params = ResponseCreateParams.builder().model(ResponsesModel.ofString("x"))
                .input("Say it [eos@12]").temperature(0.0).build();
        Response whole = client.responses().create(params);
        assertThat(whole.status()).contains(ResponseStatus.COMPLETED);
        assertThat(whole.usage().get().outputTokens()).isEqualTo(13); // twelve text tokens, then the end token
        assertThat(text(whole)).isEqualTo(ScriptedGenerator.expected(prompt(new Message("user", "Say it [eos@12]")), 12));
        StringBuilder deltas = new StringBuilder();
        List<String> types = new ArrayList<>();
        List<Response> completed = new ArrayList<>();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
            stream.stream().forEach(event -> {
                event.outputTextDelta().ifPresent(d -> deltas.append(d.delta()));
                event.created().ifPresent(c -> types.add("created"));
                event.completed().ifPresent(c -> {
                    types.add("completed");
                    completed.add(c.response());
                });
                event.outputTextDone().ifPresent(d -> types.add("text.done:" + d.text()));
            });
        }
        assertThat(deltas.toString()).isEqualTo(text(whole)).isNotEmpty();
        assertThat(types).containsExactly("created", "text.done:" + text(whole), "completed");
        assertThat(text(completed.get(0))).isEqualTo(text(whole));
        assertThat(completed.get(0).usage().get().outputTokens()).isEqualTo(13);
        completed.get(0).validate();
    }

    @Test
    void rawEventStreamHasOpenAisEventNamesInOrder() throws Exception {
        HttpResponse<String> r = post("{\"input\":\"hi\",\"max_output_tokens\":4,\"stream\":true}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        List<String> names = new ArrayList<>();
        int sequence = 0;
        String[] lines = r.body().split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("event: ")) {
                String name = lines[i].substring(7);
                names.add(name);
                JsonNode data = OpenAiServer.JSON.readTree(lines[i + 1].substring("data: ".length()));
                assertThat(data.get("type").asText()).isEqualTo(name);
                assertThat(data.get("sequence_number").asInt()).isEqualTo(sequence++);
            }
        }
        assertThat(names.subList(0, 4)).containsExactly("response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added");
        assertThat(names.subList(4, names.size() - 4)).isNotEmpty().allMatch("response.output_text.delta"::equals);
        assertThat(names.subList(names.size() - 4, names.size())).containsExactly("response.output_text.done",
                "response.content_part.done", "response.output_item.done", "response.incomplete");
        assertThat(r.body()).doesNotContain("[DONE]");
    }

    @Test
    void aListOfMessagesIsTheConversation() throws Exception {
        HttpResponse<String> r = post("{\"instructions\":\"Be brief.\",\"max_output_tokens\":5,\"metadata\":{\"k\":\"v\"},"
                + "\"input\":[{\"role\":\"user\",\"content\":\"a\"},"
                + "{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"b\"}]},"
                + "{\"role\":\"developer\",\"content\":[{\"type\":\"input_text\",\"text\":\"c\"},{\"type\":\"input_text\",\"text\":\"d\"}]}]}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode body = OpenAiServer.JSON.readTree(r.body());
        int[] expectedPrompt = prompt(new Message("system", "Be brief."), new Message("user", "a"),
                new Message("assistant", "b"), new Message("system", "cd"));
        assertThat(body.at("/output/0/content/0/type").asText()).isEqualTo("output_text");
        assertThat(body.at("/output/0/content/0/text").asText()).isEqualTo(ScriptedGenerator.expected(expectedPrompt, 5));
        assertThat(body.at("/output/0/role").asText()).isEqualTo("assistant");
        assertThat(body.at("/usage/input_tokens").asInt()).isEqualTo(expectedPrompt.length);
        assertThat(body.get("object").asText()).isEqualTo("response");
        assertThat(body.get("instructions").asText()).isEqualTo("Be brief.");
        assertThat(body.at("/metadata/k").asText()).isEqualTo("v");
        assertThat(body.get("store").asBoolean()).isFalse();
    }

    static Stream<Arguments> unsupported() {
        return Stream.of(
                Arguments.of("{\"max_output_tokens\":3}", "input"),
                Arguments.of("{\"input\":5}", "input"),
                Arguments.of("{\"input\":[]}", "input"),
                Arguments.of("{\"input\":\"x\",\"instructions\":7}", "instructions"),
                Arguments.of("{\"input\":\"x\",\"max_output_tokens\":0}", "max_output_tokens"),
                Arguments.of("{\"input\":\"x\",\"max_output_tokens\":100000}", "max_output_tokens"),
                Arguments.of("{\"input\":\"x\",\"temperature\":3}", "temperature"),
                Arguments.of("{\"input\":\"x\",\"top_p\":0}", "top_p"),
                Arguments.of("{\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}]}", "tools"),
                Arguments.of("{\"input\":\"x\",\"tool_choice\":\"required\"}", "tool_choice"),
                Arguments.of("{\"input\":\"x\",\"previous_response_id\":\"resp_1\"}", "previous_response_id"),
                Arguments.of("{\"input\":\"x\",\"conversation\":\"conv_1\"}", "conversation"),
                Arguments.of("{\"input\":\"x\",\"store\":true}", "store"),
                Arguments.of("{\"input\":\"x\",\"background\":true}", "background"),
                Arguments.of("{\"input\":\"x\",\"reasoning\":{\"effort\":\"high\"}}", "reasoning"),
                Arguments.of("{\"input\":\"x\",\"include\":[\"message.output_text.logprobs\"]}", "include"),
                Arguments.of("{\"input\":\"x\",\"top_logprobs\":3}", "top_logprobs"),
                Arguments.of("{\"input\":\"x\",\"truncation\":\"auto\"}", "truncation"),
                Arguments.of("{\"input\":\"x\",\"prompt\":{\"id\":\"pmpt_1\"}}", "prompt"),
                Arguments.of("{\"input\":\"x\",\"text\":{\"format\":{\"type\":\"json_object\"}}}", "text.format"),
                Arguments.of("{\"input\":\"x\",\"text\":{\"verbosity\":\"low\"}}", "text.verbosity"),
                Arguments.of("{\"input\":\"x\",\"frequency_penalty\":1}", "frequency_penalty"),
                Arguments.of("{\"input\":\"x\",\"grammar\":\"root ::= x\"}", "grammar"),
                Arguments.of("{\"input\":[{\"type\":\"function_call_output\",\"call_id\":\"c\",\"output\":\"o\"}]}", "input[0].type"),
                Arguments.of("{\"input\":[{\"role\":\"tool\",\"content\":\"o\"}]}", "input[0].role"),
                Arguments.of("{\"input\":[{\"role\":\"user\"}]}", "input[0].content"),
                Arguments.of("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_image\",\"image_url\":\"u\"}]}]}",
                        "input[0].content[0]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unsupported")
    void unsupportedFieldsAreA400NamingTheParam(String body, String param) throws Exception {
        HttpResponse<String> r = post(body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = OpenAiServer.JSON.readTree(r.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.get("param").asText()).isEqualTo(param);
        assertThat(error.get("message").asText()).isNotBlank();
    }

    @Test
    void harmlessFieldsAreAccepted() throws Exception {
        HttpResponse<String> r = post("{\"input\":\"x\",\"max_output_tokens\":2,\"store\":false,\"tools\":[],"
                + "\"tool_choice\":\"auto\",\"truncation\":\"disabled\",\"text\":{\"format\":{\"type\":\"text\"}},"
                + "\"parallel_tool_calls\":true,\"user\":\"u\",\"stream\":false}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(OpenAiServer.JSON.readTree(r.body()).get("user").asText()).isEqualTo("u");
    }

    @Test
    void onlyPost() throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + "/v1/responses")).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).contains("POST, OPTIONS");
    }

    private static HttpResponse<String> post(String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/responses"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
