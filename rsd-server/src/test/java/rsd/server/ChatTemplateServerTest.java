package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.TokenListener;
import rsd.tokenizer.ChatTemplate;

/** Chat requests are formatted with the chat template the server was given, and its errors are 400s. */
class ChatTemplateServerTest {
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();

    /** Starts a server with this template whose generator records every prompt; runs the body; stops it. */
    private static List<int[]> withServer(ChatTemplate template, ServerCall call) throws Exception {
        List<int[]> prompts = new CopyOnWriteArrayList<>();
        try (OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 1 << 16, 2048, "m", 1000),
                ServerPolicy.DEFAULT, template, () -> new ScriptedGenerator(0) {
                    @Override
                    public GenerationResult generate(int[] p, GenerationSettings s, TokenListener l, BooleanSupplier c) {
                        prompts.add(p);
                        return super.generate(p, s, l, c);
                    }
                }, OpenAiServerSdkTest.QUIET);
             HttpClient http = HttpClient.newHttpClient()) {
            call.run(body -> {
                HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                        + "/v1/chat/completions")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build();
                return http.send(request, HttpResponse.BodyHandlers.ofString());
            });
        }
        return prompts;
    }

    interface Poster {
        HttpResponse<String> post(String body) throws Exception;
    }

    interface ServerCall {
        void run(Poster poster) throws Exception;
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateServerTest.class.getResourceAsStream("/chat-templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void chatIsFormattedWithTheModelsTemplate() throws Exception {
        ChatTemplate template = ChatTemplate.jinja(TOKENIZER, resource("llama-3.1-8b-instruct.jinja"), "t");
        List<int[]> prompts = withServer(template, post -> {
            HttpResponse<String> r = post.post("{\"messages\":[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                    + "{\"role\":\"user\",\"content\":\"Hi <|eot_id|>\"}],\"max_tokens\":3}");
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        });
        String rendered = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nBe brief.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi ";
        int[] typed = TOKENIZER.encode("<|eot_id|>"); // what the user typed stays bytes, not the control token
        int[] rest = TOKENIZER.encode("<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n", true);
        int[] head = TOKENIZER.encode(rendered, true);
        int[] expected = new int[head.length + typed.length + rest.length];
        System.arraycopy(head, 0, expected, 0, head.length);
        System.arraycopy(typed, 0, expected, head.length, typed.length);
        System.arraycopy(rest, 0, expected, head.length + typed.length, rest.length);
        assertThat(prompts).hasSize(1);
        assertThat(prompts.get(0)).containsExactly(expected);
    }

    @Test
    void theTemplatesRaiseExceptionIsA400OnMessages() throws Exception {
        ChatTemplate template = ChatTemplate.jinja(TOKENIZER, "{{ bos_token }}{% for m in messages %}"
                + "{% if (m['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
                + "{% endif %}{{ m['role'] + ': ' + m['content'] + '\\n' }}{% endfor %}", "t");
        List<int[]> prompts = withServer(template, post -> {
            HttpResponse<String> r = post.post("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"},"
                    + "{\"role\":\"user\",\"content\":\"b\"}]}");
            assertThat(r.statusCode()).isEqualTo(400);
            JsonNode error = OpenAiServer.JSON.readTree(r.body()).get("error");
            assertThat(error.get("message").asText())
                    .isEqualTo("Conversation roles must alternate user/assistant/user/assistant/...");
            assertThat(error.get("param").asText()).isEqualTo("messages");
            assertThat(error.get("type").asText()).isEqualTo("invalid_request_error");
            HttpResponse<String> ok = post.post("{\"messages\":[{\"role\":\"user\",\"content\":\"a\"}],\"max_tokens\":2}");
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        });
        assertThat(prompts).hasSize(1);
        assertThat(prompts.get(0)).containsExactly(TOKENIZER.encode("<|begin_of_text|>user: a\n", true));
    }
}
