package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.decode.SingleDrafterSpeculator;
import rsd.decode.TextGenerator;
import rsd.decode.TokenListener;
import rsd.testing.FakeModel;
import rsd.testing.OracleDrafter;
import rsd.tokenizer.Tokenizer;

/**
 * A bounded soak of the server on the core's fake model with a speculative decoder: concurrent clients
 * mixing streaming and plain completions and chats, clients that hang up mid-stream, mid-body or while
 * queued, and bad requests, for {@code rsd.soak.seconds} (default 60). Every answer must be well-formed
 * (status, headers, JSON or SSE framing; completions' text equal to standard decoding), the platform
 * threads must come back to their count before the load, the heap after GC must not grow from the
 * first checkpoints to the last, and /health must still answer at the end.
 *
 * <p>Longer: {@code ./run-tests -o -pl rsd-server -am -Dtest=SoakTest -Dsurefire.failIfNoSpecifiedTests=false
 * -Drsd.soak.seconds=600} (see docs/testing.md).
 */
@Tag("soak")
class SoakTest {
    private static final int CONTEXT = 512;
    private static final int MAX_BODY = 8192;
    private static final int CLIENTS = 6;
    private static final int PARALLEL = 2;
    private static final int QUEUE = 4;
    private static final int[] MAX_TOKENS = {4, 24, 64};
    private static final int PROMPTS = 12;
    private static final int SOCKET_TIMEOUT_MILLIS = 20_000;
    /** Heap growth, from the first checkpoints to the last, that counts as a leak and not as noise. */
    private static final long HEAP_ALLOWANCE = 32L << 20;
    /** Platform threads that may come and go on their own (JIT, GC, reference handling, the JDK's cleaners). */
    private static final int THREAD_ALLOWANCE = 3;

    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    private static final FakeModel MODEL = new FakeModel(TOKENIZER.vocabSize(), CONTEXT, 7, 6f, -1e4f);

    /** The kinds of client behaviour, drawn at random; the weights favour real generations. */
    private enum Kind {
        STREAM_COMPLETION(4), STREAM_CHAT(3), COMPLETION(3), CHAT(2), HANG_UP_MID_STREAM(3), HANG_UP_WHILE_WAITING(1),
        HANG_UP_MID_BODY(1), MALFORMED_JSON(1), INVALID_FIELD(1), CONTEXT_EXCEEDED(1), WRONG_CONTENT_TYPE(1),
        TOO_LARGE(1), UNKNOWN_ROUTE(1), HEALTH(1);

        final int weight;

        Kind(int weight) {
            this.weight = weight;
        }
    }

    private final Map<String, String> expected = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    @Test
    void concurrentStreamsCancellationsAndBadRequestsLeaveNoTrace() throws Exception {
        long seconds = Long.getLong("rsd.soak.seconds", 60);
        assertThat(seconds).as("rsd.soak.seconds").isPositive();
        precomputeCompletions();
        long heapBefore;
        int threadsBefore;
        List<Long> heap = new ArrayList<>();
        try (OpenAiServer server = OpenAiServer.start(
                new ServerOptions("127.0.0.1", 0, PARALLEL, QUEUE, MAX_BODY, CONTEXT, "m", 100),
                () -> new Paced(new Decoder(MODEL, TOKENIZER, new SingleDrafterSpeculator(
                        new OracleDrafter(MODEL, 0.3, 11, "oracle"), 5), "oracle")),
                OpenAiServerSdkTest.QUIET)) {
            // A round of every kind first, so that classes, pools and the JIT are settled before the baseline.
            Random warm = new Random(0);
            for (Kind k : Kind.values()) {
                exercise(server.port(), k, warm);
            }
            settle(server);
            threadsBefore = Thread.getAllStackTraces().size();
            heapBefore = ConcurrencyTest.usedHeapAfterGc();
            heap.add(heapBefore);

            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                Random random = new Random(1000 + c);
                clients.add(Thread.ofPlatform().name("soak-client-" + c).start(() -> {
                    while (!stop.get()) {
                        exercise(server.port(), draw(random), random);
                    }
                }));
            }
            long end = System.nanoTime() + seconds * 1_000_000_000L;
            int checkpoints = 5;
            for (int i = 1; i <= checkpoints; i++) {
                long at = System.nanoTime() + (end - System.nanoTime()) / (checkpoints - i + 1);
                while (System.nanoTime() < at && failures.size() < 20) {
                    Thread.sleep(100);
                }
                heap.add(ConcurrencyTest.usedHeapAfterGc());
            }
            stop.set(true);
            for (Thread t : clients) {
                t.join(SOCKET_TIMEOUT_MILLIS * 3L);
                assertThat(t.isAlive()).as(t.getName() + " finished").isFalse();
            }
            assertThat(failures).as("malformed or unexpected answers").isEmpty();

            settle(server);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Thread.getAllStackTraces().size() > threadsBefore + THREAD_ALLOWANCE && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(Thread.getAllStackTraces().size()).as("platform threads after the load (before: " + threadsBefore + ")")
                    .isLessThanOrEqualTo(threadsBefore + THREAD_ALLOWANCE);
            heap.add(ConcurrencyTest.usedHeapAfterGc());
            long early = Math.min(heap.get(0), heap.get(1));
            long late = Math.max(heap.get(heap.size() - 2), heap.get(heap.size() - 1));
            assertThat(late - early).as("heap growth after GC, checkpoints " + mib(heap)).isLessThan(HEAP_ALLOWANCE);

            Response health = request(server.port(), "GET", "/health", null, null);
            assertThat(health.status).isEqualTo(200);
            assertThat(OpenAiServer.JSON.readTree(health.body).path("status").asText()).isEqualTo("ok");
        }
        System.out.printf(Locale.ROOT, "soak %d s, %d clients, --parallel %d --queue %d: %s; heap after GC %s%n",
                seconds, CLIENTS, PARALLEL, QUEUE, new java.util.TreeMap<>(counts), mib(heap));
        assertThat(counts.getOrDefault("200 stream", new AtomicLong()).get()).as("streams completed").isPositive();
        assertThat(counts.getOrDefault("hang-up mid-stream", new AtomicLong()).get()).as("streams cut").isPositive();
    }

    /** Standard (non-speculative) decoding of every prompt and length: what each completion must say. */
    private void precomputeCompletions() {
        Decoder standard = new Decoder(MODEL, TOKENIZER, null, "standard");
        for (int p = 0; p < PROMPTS; p++) {
            for (int n : MAX_TOKENS) {
                int[] ids = Prompts.completion(TOKENIZER, prompt(p));
                expected.put(p + "/" + n, standard.generate(ids, GenerationSettings.greedy(n), null, () -> false).text());
            }
        }
    }

    private static String prompt(int p) {
        return "soak prompt " + p + ": " + "abcdefghij".substring(0, 1 + p % 10);
    }

    private static Kind draw(Random random) {
        int total = 0;
        for (Kind k : Kind.values()) {
            total += k.weight;
        }
        int r = random.nextInt(total);
        for (Kind k : Kind.values()) {
            r -= k.weight;
            if (r < 0) {
                return k;
            }
        }
        throw new AssertionError();
    }

    private void exercise(int port, Kind kind, Random random) {
        int p = random.nextInt(PROMPTS);
        int n = MAX_TOKENS[random.nextInt(MAX_TOKENS.length)];
        String completion = "{\"model\":\"m\",\"prompt\":\"" + prompt(p) + "\",\"max_tokens\":" + n + ",\"temperature\":0";
        String chat = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt(p) + "\"}],\"max_tokens\":"
                + n + ",\"temperature\":0";
        try {
            switch (kind) {
                case STREAM_COMPLETION -> checkStream(request(port, "POST", "/v1/completions", completion + ",\"stream\":true}",
                        "application/json"), false, p + "/" + n);
                case STREAM_CHAT -> checkStream(request(port, "POST", "/v1/chat/completions",
                        chat + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}", "application/json"), true, null);
                case COMPLETION -> checkJson(request(port, "POST", "/v1/completions", completion + "}", "application/json"),
                        false, p + "/" + n);
                case CHAT -> checkJson(request(port, "POST", "/v1/chat/completions", chat + "}", "application/json"), true, null);
                case HANG_UP_MID_STREAM -> hangUpMidStream(port, completion + ",\"stream\":true}", 1 + random.nextInt(6));
                case HANG_UP_WHILE_WAITING -> hangUpWhileWaiting(port, chat + "}", random.nextInt(40));
                case HANG_UP_MID_BODY -> hangUpMidBody(port, completion + "}");
                case MALFORMED_JSON -> checkError(request(port, "POST", "/v1/completions", completion + ",}", "application/json"),
                        400, null);
                case INVALID_FIELD -> checkError(request(port, "POST", "/v1/chat/completions",
                        chat + ",\"top_p\":\"most\"}", "application/json"), 400, "top_p");
                case CONTEXT_EXCEEDED -> checkError(request(port, "POST", "/v1/completions",
                        "{\"prompt\":\"" + "x".repeat(CONTEXT) + "\"}", "application/json"), 400, "prompt");
                case WRONG_CONTENT_TYPE -> checkError(request(port, "POST", "/v1/completions", completion + "}", "text/plain"),
                        415, null);
                case TOO_LARGE -> checkError(request(port, "POST", "/v1/completions",
                        "{\"prompt\":\"" + "y".repeat(MAX_BODY) + "\"}", "application/json"), 413, null);
                case UNKNOWN_ROUTE -> checkError(request(port, "POST", "/v1/embeddings", "{}", "application/json"), 404, null);
                case HEALTH -> {
                    Response r = request(port, "GET", "/health", null, null);
                    expect(r.status == 200 && "ok".equals(OpenAiServer.JSON.readTree(r.body).path("status").asText()),
                            "health", r);
                    count("200 health");
                }
            }
        } catch (IOException | RuntimeException e) {
            failures.add(kind + ": " + e);
        }
    }

    // ---- checks of the answers ----

    private void checkJson(Response r, boolean chat, String expectedKey) throws IOException {
        if (r.status == 429) {
            checkError(r, 429, null);
            return;
        }
        expect(r.status == 200 && r.header("content-type").startsWith("application/json"), "a JSON answer", r);
        JsonNode body = OpenAiServer.JSON.readTree(r.body);
        JsonNode choice = body.path("choices").path(0);
        expect(body.path("object").asText().equals(chat ? "chat.completion" : "text_completion")
                && body.path("id").isTextual() && finishReason(choice), "the answer's shape", r);
        String text = chat ? choice.path("message").path("content").asText(null) : choice.path("text").asText(null);
        expect(text != null, "the answer's text", r);
        checkUsage(body.path("usage"), r);
        if (expectedKey != null) {
            expect(expected.get(expectedKey).equals(text), "the text of standard decoding (" + expectedKey + ")", r);
        }
        count("200 json");
    }

    private void checkStream(Response r, boolean chat, String expectedKey) throws IOException {
        if (r.status == 429) {
            checkError(r, 429, null);
            return;
        }
        expect(r.status == 200 && r.header("content-type").startsWith("text/event-stream"), "an event stream", r);
        StringBuilder text = new StringBuilder();
        boolean done = false;
        boolean finished = false;
        boolean usage = false;
        String[] blocks = r.body.split("\n\n", -1);
        expect(blocks[blocks.length - 1].isEmpty(), "events ending with a blank line", r);
        for (int i = 0; i < blocks.length - 1; i++) {
            String block = blocks[i];
            if (block.startsWith(":")) {
                continue; // keep-alive comment
            }
            expect(block.startsWith("data: ") && !block.contains("\n") && !done, "one data line per event, none after [DONE]", r);
            String data = block.substring("data: ".length());
            if (data.equals("[DONE]")) {
                done = true;
                continue;
            }
            JsonNode chunk = OpenAiServer.JSON.readTree(data);
            expect(chunk.path("object").asText().equals(chat ? "chat.completion.chunk" : "text_completion")
                    && !chunk.has("error"), "a chunk's shape", r);
            if (chunk.path("choices").isEmpty()) {
                checkUsage(chunk.path("usage"), r);
                usage = true;
                continue;
            }
            JsonNode choice = chunk.path("choices").path(0);
            expect(!finished, "no text after the finishing chunk", r);
            text.append(chat ? choice.path("delta").path("content").asText("") : choice.path("text").asText(""));
            if (!choice.path("finish_reason").isNull()) {
                expect(finishReason(choice), "finish_reason stop or length", r);
                finished = true;
            }
        }
        expect(done && finished && usage == chat, "a finishing chunk, " + (chat ? "usage, " : "") + "then [DONE]", r);
        if (expectedKey != null) {
            expect(expected.get(expectedKey).contentEquals(text), "the text of standard decoding (" + expectedKey + ")", r);
        }
        count("200 stream");
    }

    private static boolean finishReason(JsonNode choice) {
        return List.of("stop", "length").contains(choice.path("finish_reason").asText());
    }

    private static void checkUsage(JsonNode usage, Response r) {
        long prompt = usage.path("prompt_tokens").asLong(-1);
        long completion = usage.path("completion_tokens").asLong(-1);
        if (prompt <= 0 || completion <= 0 || usage.path("total_tokens").asLong() != prompt + completion) {
            throw new AssertionError("inconsistent usage " + usage + " in " + r);
        }
    }

    private void checkError(Response r, int status, String param) throws IOException {
        expect(r.status == status && r.header("content-type").startsWith("application/json"), "status " + status, r);
        JsonNode error = OpenAiServer.JSON.readTree(r.body).path("error");
        expect(error.path("message").isTextual() && !error.path("message").asText().isBlank() && error.path("type").isTextual()
                && (param == null || param.equals(error.path("param").asText())), "an error object", r);
        if (status == 429) {
            expect(r.header("retry-after").equals("1"), "Retry-After on a 429", r);
        }
        count(status + (status == 429 ? " busy" : " refused"));
        if (status == 429) {
            LockSupport.parkNanos(25_000_000L); // a client backs off, as Retry-After asks, if not for a whole second
        }
    }

    private void expect(boolean ok, String what, Response r) {
        if (!ok) {
            failures.add("expected " + what + ", got " + r);
        }
    }

    private void count(String what) {
        counts.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
    }

    // ---- clients that go away ----

    private void hangUpMidStream(int port, String body, int events) throws IOException {
        try (Socket s = send(port, "POST", "/v1/completions", body, "application/json", -1)) {
            InputStream in = s.getInputStream();
            String status = line(in);
            if (!status.contains(" 200 ")) {
                expect(status.contains(" 429 "), "200 or 429 for a stream", new Response(status, 0, Map.of(), ""));
                return;
            }
            // Read the headers and a few events' worth of bytes, then drop the connection.
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                // headers
            }
            byte[] some = new byte[64 * events];
            int got = in.read(some);
            expect(got > 0, "some events before hanging up", new Response(status, 200, Map.of(), ""));
        }
        count("hang-up mid-stream");
    }

    private void hangUpWhileWaiting(int port, String body, int millis) throws IOException {
        try (Socket s = send(port, "POST", "/v1/chat/completions", body, "application/json", -1)) {
            LockSupport.parkNanos(millis * 1_000_000L);
        }
        count("hang-up waiting");
    }

    private void hangUpMidBody(int port, String body) throws IOException {
        try (Socket s = send(port, "POST", "/v1/completions", body, "application/json", body.length() / 2)) {
            LockSupport.parkNanos(5_000_000L);
        }
        count("hang-up mid-body");
    }

    // ---- a small HTTP/1.1 client on raw sockets: each request on its own connection ----

    private record Response(String statusLine, int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.getOrDefault(name, "");
        }

        @Override
        public String toString() {
            String b = body.length() > 300 ? body.substring(0, 300) + "..." : body;
            return statusLine + " " + headers + " " + b.replace("\n", "\\n");
        }
    }

    /** Sends the request; {@code cut} >= 0 sends only that many bytes of the body (the rest never comes). */
    private static Socket send(int port, String method, String path, String body, String type, int cut) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
        byte[] b = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        if (body != null) {
            head.append("Content-Type: ").append(type).append("\r\nContent-Length: ").append(b.length).append("\r\n");
        }
        OutputStream out = s.getOutputStream();
        out.write(head.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        out.write(b, 0, cut >= 0 ? cut : b.length);
        out.flush();
        return s;
    }

    private static Response request(int port, String method, String path, String body, String type) throws IOException {
        try (Socket s = send(port, method, path, body, type, -1)) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            String statusLine = line(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].equals("HTTP/1.1")) {
                throw new IOException("not an HTTP status line: '" + statusLine + "'");
            }
            Map<String, String> headers = new HashMap<>();
            for (String l = line(in); !l.isEmpty(); l = line(in)) {
                int colon = l.indexOf(':');
                headers.put(l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
            }
            byte[] bytes;
            if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
                bytes = chunked(in);
            } else if (headers.containsKey("content-length")) {
                bytes = in.readNBytes(Integer.parseInt(headers.get("content-length")));
            } else {
                throw new IOException("a response with neither a length nor chunks: " + statusLine + " " + headers);
            }
            return new Response(statusLine, Integer.parseInt(parts[1]), headers, new String(bytes, StandardCharsets.UTF_8));
        } catch (SocketTimeoutException e) {
            throw new IOException(method + " " + path + ": no complete answer within " + SOCKET_TIMEOUT_MILLIS + " ms", e);
        }
    }

    private static byte[] chunked(InputStream in) throws IOException {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        while (true) {
            String size = line(in);
            int n = Integer.parseInt(size.split(";", 2)[0].strip(), 16);
            if (n == 0) {
                line(in); // the empty trailer
                return body.toByteArray();
            }
            body.write(in.readNBytes(n));
            if (!line(in).isEmpty()) {
                throw new IOException("a chunk not followed by CRLF");
            }
        }
    }

    /** One CRLF-terminated line (ASCII); EOF before its end is an error. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int c = in.read(); ; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed mid-line after '" + sb + "'");
            }
            if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
                sb.setLength(sb.length() - 1);
                return sb.toString();
            }
            sb.append((char) c);
        }
    }

    // ---- helpers ----

    /** Waits until no request is in the server and no slot is busy. */
    private static void settle(OpenAiServer server) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (server.inFlightRequests() + server.activeGenerations() + server.queuedGenerations() > 0) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still in the server after 15 s: " + server.inFlightRequests() + " requests, "
                        + server.activeGenerations() + " generations, " + server.queuedGenerations() + " queued");
            }
            Thread.sleep(20);
        }
    }

    private static String mib(List<Long> bytes) {
        return bytes.stream().map(b -> String.format(Locale.ROOT, "%.1f", b / 1048576.0)).toList() + " MiB";
    }

    /** The decoder at about a token per millisecond, so that streams last long enough to be cut. */
    private record Paced(TextGenerator inner) implements TextGenerator {
        @Override
        public GenerationResult generate(int[] promptIds, GenerationSettings settings, TokenListener listener,
                                         BooleanSupplier cancelled) {
            return inner.generate(promptIds, settings, (id, text, fromGuess) -> {
                LockSupport.parkNanos(1_000_000L);
                if (listener != null) {
                    listener.onToken(id, text, fromGuess);
                }
            }, cancelled);
        }

        @Override
        public Tokenizer tokenizer() {
            return inner.tokenizer();
        }

        @Override
        public String mode() {
            return inner.mode();
        }
    }
}
