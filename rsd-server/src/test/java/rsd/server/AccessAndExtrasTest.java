package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.TokenListener;
import rsd.error.RsdException;

/**
 * Host and Origin checks, CORS preflights, the API key, HEAD, model aliases, /tokenize and /detokenize,
 * over raw HTTP/1.1 so that the Host and Origin headers are exactly what a browser or an attacker sends.
 */
class AccessAndExtrasTest {
    private static final String KEY = "sk-test-123";
    private static final ByteArrayOutputStream LOG = new ByteArrayOutputStream();
    private static OpenAiServer server;

    @BeforeAll
    static void start() {
        server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 4, 4096, 512, "m", 1000),
                new ServerPolicy(List.of("box.lan"), List.of("http://app.example"), KEY, List.of("gpt-4o-mini"), false),
                () -> new ScriptedGenerator(0), new PrintStream(LOG, true, StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    record Reply(int status, String head, String body) {
        JsonNode json() throws Exception {
            return OpenAiServer.JSON.readTree(body);
        }

        String header(String name) {
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
                    return line.substring(colon + 1).strip();
                }
            }
            return null;
        }
    }

    /** One request on its own connection; {@code headers} are whole lines without CRLF. */
    static Reply raw(int port, String method, String path, String body, String... headers) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\n");
            for (String h : headers) {
                req.append(h).append("\r\n");
            }
            byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
            if (body != null) {
                req.append("Content-Length: ").append(b.length).append("\r\n");
            }
            req.append("Connection: close\r\n\r\n");
            OutputStream out = s.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.UTF_8));
            out.write(b);
            out.flush();
            byte[] all = s.getInputStream().readAllBytes();
            int split = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII), 0);
            String head = new String(all, 0, split, StandardCharsets.ISO_8859_1);
            byte[] rest = java.util.Arrays.copyOfRange(all, split + 4, all.length);
            if ("chunked".equalsIgnoreCase(new Reply(0, head, "").header("Transfer-Encoding"))) {
                rest = unchunk(rest);
            }
            return new Reply(Integer.parseInt(head.split(" ")[1]), head, new String(rest, StandardCharsets.UTF_8));
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
        outer:
        for (int i = from; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Chunk sizes count bytes, so the body is undone as bytes, before any UTF-8 decoding. */
    private static byte[] unchunk(byte[] s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] crlf = "\r\n".getBytes(StandardCharsets.US_ASCII);
        int i = 0;
        while (true) {
            int eol = indexOf(s, crlf, i);
            int n = Integer.parseInt(new String(s, i, eol - i, StandardCharsets.US_ASCII).strip(), 16);
            if (n == 0) {
                return out.toByteArray();
            }
            out.write(s, eol + 2, n);
            i = eol + 2 + n + 2;
        }
    }

    private static Reply call(String method, String path, String body, String... extra) throws Exception {
        String[] headers = new String[extra.length + 3];
        headers[0] = "Host: 127.0.0.1:" + server.port();
        headers[1] = "Authorization: Bearer " + KEY;
        headers[2] = "Content-Type: application/json";
        System.arraycopy(extra, 0, headers, 3, extra.length);
        return raw(server.port(), method, path, body, headers);
    }

    private static void assertError(Reply r, int status, String code) throws Exception {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).isEqualTo("application/json");
        assertThat(r.json().at("/error/code").asText()).as(r.body()).isEqualTo(code);
        assertThat(r.json().at("/error/message").asText()).isNotBlank();
    }

    @Test
    void onlyHostsNamingTheServerAreServed() throws Exception {
        int port = server.port();
        for (String host : List.of("localhost", "LOCALHOST:" + port, "127.0.0.1", "[::1]:" + port, "box.lan:99")) {
            Reply r = raw(port, "GET", "/v1/models", null, "Host: " + host, "Authorization: Bearer " + KEY);
            assertThat(r.status()).as(host).isEqualTo(200);
        }
        for (String host : List.of("evil.example", "evil.example:" + port, "127.0.0.1.evil.example", "box.lan.evil")) {
            assertError(raw(port, "GET", "/v1/models", null, "Host: " + host, "Authorization: Bearer " + KEY),
                    403, "host_not_allowed");
        }
        // even /health: a rebound page must not learn what is served here
        assertError(raw(port, "GET", "/health", null, "Host: evil.example"), 403, "host_not_allowed");
    }

    @Test
    void foreignOriginsAreRefusedAndAllowedOnesGetCorsHeaders() throws Exception {
        assertError(call("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}", "Origin: http://evil.example"),
                403, "origin_not_allowed");
        Reply ok = call("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2}", "Origin: http://app.example");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo("http://app.example");
        assertThat(ok.header("Vary")).isEqualTo("Origin");
        // a preflight carries no Authorization header and is answered without one
        Reply pre = raw(server.port(), "OPTIONS", "/v1/chat/completions", null, "Host: localhost",
                "Origin: http://app.example", "Access-Control-Request-Method: POST",
                "Access-Control-Request-Headers: authorization, content-type");
        assertThat(pre.status()).isEqualTo(204);
        assertThat(pre.header("Access-Control-Allow-Origin")).isEqualTo("http://app.example");
        assertThat(pre.header("Access-Control-Allow-Headers")).contains("Authorization").contains("Content-Type");
        assertThat(pre.header("Access-Control-Allow-Methods")).contains("POST");
        assertError(raw(server.port(), "OPTIONS", "/v1/chat/completions", null, "Host: localhost",
                "Origin: http://evil.example"), 403, "origin_not_allowed");
    }

    @Test
    void anyOriginWhenStarIsAllowed() {
        ServerPolicy star = new ServerPolicy(List.of(), List.of("*"), null, List.of(), false);
        assertThat(star.allowsOrigin("http://anything.example:3000")).isTrue();
        assertThat(ServerPolicy.DEFAULT.allowsOrigin("http://localhost:3000")).isFalse();
        assertThatThrownBy(() -> new ServerPolicy(List.of(), List.of("http://a.example/path"), null, List.of(), false))
                .isInstanceOf(RsdException.class).hasMessageContaining("--cors-origin");
        assertThatThrownBy(() -> new ServerPolicy(List.of(), List.of(), "", List.of(), false))
                .isInstanceOf(RsdException.class).hasMessageContaining("--api-key");
    }

    @Test
    void postBodiesMustBeJson() throws Exception {
        int port = server.port();
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            assertError(raw(port, "POST", "/v1/completions", "{\"prompt\":\"a\"}", "Host: localhost",
                    "Authorization: Bearer " + KEY, "Content-Type: " + type), 415, "unsupported_media_type");
        }
        assertError(raw(port, "POST", "/v1/completions", "{\"prompt\":\"a\"}", "Host: localhost",
                "Authorization: Bearer " + KEY), 415, "unsupported_media_type");
        Reply ok = raw(port, "POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":1}", "Host: localhost",
                "Authorization: Bearer " + KEY, "Content-Type: Application/JSON; charset=utf-8");
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void theApiKeyIsRequiredEverywhereButHealth() throws Exception {
        int port = server.port();
        for (String path : List.of("/v1/models", "/metrics", "/v1/models/m")) {
            assertError(raw(port, "GET", path, null, "Host: localhost"), 401, "invalid_api_key");
            assertError(raw(port, "GET", path, null, "Host: localhost", "Authorization: Bearer wrong"), 401, "invalid_api_key");
        }
        assertError(raw(port, "POST", "/v1/completions", "{\"prompt\":\"a\"}", "Host: localhost",
                "Content-Type: application/json", "Authorization: Bearer " + KEY + "x"), 401, "invalid_api_key");
        assertError(raw(port, "POST", "/tokenize", "{\"content\":\"a\"}", "Host: localhost",
                "Content-Type: application/json"), 401, "invalid_api_key");
        assertThat(raw(port, "GET", "/health", null, "Host: localhost").status()).isEqualTo(200);
        assertThat(call("GET", "/v1/models", null).status()).isEqualTo(200);
    }

    @Test
    void headAnswersGetRoutesWithoutABodyOrAWarning() throws Exception {
        // the JDK server warns through its own logger when a HEAD answer is given a body length
        java.util.logging.Logger jdk = java.util.logging.Logger.getLogger("com.sun.net.httpserver");
        List<java.util.logging.LogRecord> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
                    warnings.add(r);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jdk.addHandler(handler);
        try {
            for (String path : List.of("/health", "/v1/models", "/metrics")) {
                Reply r = call("HEAD", path, null);
                assertThat(r.status()).as(path).isEqualTo(200);
                assertThat(r.body()).isEmpty();
            }
            assertThat(call("HEAD", "/v1/completions", null).status()).isEqualTo(405);
        } finally {
            jdk.removeHandler(handler);
        }
        assertThat(warnings).extracting(java.util.logging.LogRecord::getMessage).isEmpty();
        assertThat(LOG.toString(StandardCharsets.UTF_8)).doesNotContain("HEAD").doesNotContain("WARNING");
    }

    @Test
    void aliasesAreListedAndAnswerUnderTheirName() throws Exception {
        JsonNode models = call("GET", "/v1/models", null).json();
        assertThat(models.at("/data/0/id").asText()).isEqualTo("m");
        assertThat(models.at("/data/1/id").asText()).isEqualTo("gpt-4o-mini");
        assertThat(call("GET", "/v1/models/gpt-4o-mini", null).json().get("id").asText()).isEqualTo("gpt-4o-mini");
        Reply alias = call("POST", "/v1/completions", "{\"model\":\"gpt-4o-mini\",\"prompt\":\"a\",\"max_tokens\":2}");
        assertThat(alias.json().get("model").asText()).isEqualTo("gpt-4o-mini");
        // an unknown name is served by the one model, and the answer says which model that was
        Reply other = call("POST", "/v1/completions", "{\"model\":\"gpt-3.5-turbo\",\"prompt\":\"a\",\"max_tokens\":2}");
        assertThat(other.status()).isEqualTo(200);
        assertThat(other.json().get("model").asText()).isEqualTo("m");
        assertThat(other.json().at("/choices/0/text").asText())
                .isEqualTo(alias.json().at("/choices/0/text").asText());
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws Exception {
        ByteTokenizer t = new ByteTokenizer();
        JsonNode plain = call("POST", "/tokenize", "{\"content\":\"héllo\"}").json();
        int[] expected = t.encode("héllo", true);
        assertThat(plain.get("tokens")).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(plain.get("tokens").get(i).asInt()).isEqualTo(expected[i]);
        }
        JsonNode special = call("POST", "/tokenize", "{\"content\":\"héllo\",\"add_special\":true}").json();
        assertThat(special.get("tokens").get(0).asInt()).isEqualTo(t.bos());
        assertThat(special.get("tokens")).hasSize(expected.length + 1);
        JsonNode parsed = call("POST", "/tokenize", "{\"content\":\"<|begin_of_text|>x\"}").json();
        assertThat(parsed.get("tokens").toString()).isEqualTo("[" + t.bos() + "," + (int) 'x' + "]");
        JsonNode literal = call("POST", "/tokenize", "{\"content\":\"<|begin_of_text|>x\",\"parse_special\":false}").json();
        assertThat(literal.get("tokens")).hasSize("<|begin_of_text|>x".length());
        JsonNode back = call("POST", "/detokenize", "{\"tokens\":" + plain.get("tokens") + "}").json();
        assertThat(back.get("content").asText()).isEqualTo("héllo");
    }

    @Test
    void neutralLlamaCppSamplingFieldsAreAccepted() throws Exception {
        Reply r = call("POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":2,\"min_p\":0,\"repeat_penalty\":1,"
                + "\"grammar\":\"\",\"typical_p\":1}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    /** Blocks every generation until released, to hold the server in its warm-up. */
    static final class GatedGenerator extends ScriptedGenerator {
        final CountDownLatch gate;

        GatedGenerator(CountDownLatch gate) {
            super(0);
            this.gate = gate;
        }

        @Override
        public GenerationResult generate(int[] promptIds, GenerationSettings settings, TokenListener listener,
                                         BooleanSupplier cancelled) {
            try {
                gate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return super.generate(promptIds, settings, listener, cancelled);
        }
    }

    @Test
    void healthSays503UntilEverySlotIsWarm() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (OpenAiServer s = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 2, 1, 4096, 256, "w", 1000),
                new ServerPolicy(List.of(), List.of(), null, List.of(), true), () -> new GatedGenerator(gate),
                OpenAiServerSdkTest.QUIET)) {
            Reply loading = raw(s.port(), "GET", "/health", null, "Host: localhost");
            assertThat(loading.status()).isEqualTo(503);
            assertThat(loading.json().get("status").asText()).isEqualTo("loading");
            assertError(raw(s.port(), "POST", "/v1/completions", "{\"prompt\":\"a\"}", "Host: localhost",
                    "Content-Type: application/json"), 503, "loading");
            gate.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!s.ready() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(raw(s.port(), "GET", "/health", null, "Host: localhost").status()).isEqualTo(200);
            assertThat(raw(s.port(), "POST", "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":1}", "Host: localhost",
                    "Content-Type: application/json").status()).isEqualTo(200);
        }
    }
}
