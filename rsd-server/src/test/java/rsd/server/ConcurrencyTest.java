package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.completions.CompletionCreateParams;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import rsd.tokenizer.ChatFormat;

/**
 * Load, admission and cancellation: 8 concurrent SDK clients x 25 requests with exact outputs, no leaked
 * threads or memory; a full queue answers 429 at once; a client that goes away (streaming or not, running
 * or queued) cancels its generation and frees its slot.
 */
class ConcurrencyTest {
    private static final Duration LIMIT = Duration.ofSeconds(10);

    private static OpenAiServer start(int parallel, int queue, long delayMillis, long keepAliveMillis) {
        return OpenAiServer.start(new ServerOptions("127.0.0.1", 0, parallel, queue, 1 << 16, 4096, "m", keepAliveMillis),
                () -> new ScriptedGenerator(delayMillis), OpenAiServerSdkTest.QUIET);
    }

    /** Platform threads a server owns: its decoding workers and the JDK server's dispatcher. */
    private static Set<String> serverThreads() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("rsd-decode-") || n.startsWith("rsd-http-") || n.startsWith("HTTP-Dispatcher")).collect(Collectors.toSet());
    }

    /** Heap in use after three collections (the soak test compares it over a run too). */
    static long usedHeapAfterGc() throws InterruptedException {
        Runtime rt = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
        }
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LIMIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void eightClientsTimesTwentyFiveRequestsWithoutErrorsOrLeaks() throws Exception {
        Set<String> threadsBeforeServer = serverThreads();
        OpenAiServer server = start(4, 8, 1, 1000);
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(server.baseUrl().toString()).apiKey("x").maxRetries(0)
                .timeout(Duration.ofSeconds(30)).build();
        try {
            runClients(client, 2); // warm-up: classes, JIT, connection pool
            Set<String> threadsBefore = serverThreads();
            long heapBefore = usedHeapAfterGc();
            ScriptedGenerator.PEAK.set(0);

            long t0 = System.nanoTime();
            List<Double> latencies = runClients(client, 25);
            double wall = (System.nanoTime() - t0) / 1e9;

            assertThat(latencies).hasSize(200);
            assertThat(ScriptedGenerator.PEAK.get()).as("requests decoded at once").isBetween(2, 4);
            await("every request has left the server", () -> server.inFlightRequests() == 0);
            // a slot is given back just after its result is handed over, so the last may lag its response
            await("every slot is free", () -> server.activeGenerations() == 0);
            assertThat(server.queuedGenerations()).isZero();
            assertThat(serverThreads()).as("server threads after the load").isEqualTo(threadsBefore);
            long heapAfter = usedHeapAfterGc();
            assertThat(heapAfter - heapBefore).as("heap growth over 200 requests").isLessThan(32L << 20);
            double[] sorted = latencies.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("8 clients x 25 requests (scripted generator, 1 ms/token, 16 tokens, --parallel 4): "
                            + "p50 %.1f ms, p95 %.1f ms, %.1f requests/s%n", LoadGenerator.percentile(sorted, 50) * 1e3,
                    LoadGenerator.percentile(sorted, 95) * 1e3, 200 / wall);
        } finally {
            client.close();
            server.close();
        }
        await("the server's threads are gone", () -> serverThreads().equals(threadsBeforeServer));
    }

    /** 8 threads, each {@code perClient} requests cycling through the four kinds; every output checked. */
    private static List<Double> runClients(OpenAIClient client, int perClient) throws InterruptedException {
        List<Double> latencies = new CopyOnWriteArrayList<>();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        ByteTokenizer tok = new ByteTokenizer();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            int cl = c;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < perClient; i++) {
                    String prompt = LoadGenerator.prompt(cl, i);
                    long t0 = System.nanoTime();
                    try {
                        String got;
                        int[] ids;
                        switch ((cl + i) % 4) {
                            case 0 -> {
                                got = client.completions().create(completion(prompt)).choices().get(0).text();
                                ids = withBos(tok, prompt);
                            }
                            case 1 -> {
                                StringBuilder sb = new StringBuilder();
                                try (var s = client.completions().createStreaming(completion(prompt))) {
                                    s.stream().forEach(ch -> ch.choices().forEach(x -> sb.append(x.text())));
                                }
                                got = sb.toString();
                                ids = withBos(tok, prompt);
                            }
                            case 2 -> {
                                got = client.chat().completions().create(chat(prompt)).choices().get(0).message()
                                        .content().orElse("");
                                ids = new ChatFormat(tok).encodeDialogPrompt(List.of(new ChatFormat.Message("user", prompt)));
                            }
                            default -> {
                                StringBuilder sb = new StringBuilder();
                                try (var s = client.chat().completions().createStreaming(chat(prompt))) {
                                    s.stream().forEach(ch -> ch.choices().forEach(x -> x.delta().content().ifPresent(sb::append)));
                                }
                                got = sb.toString();
                                ids = new ChatFormat(tok).encodeDialogPrompt(List.of(new ChatFormat.Message("user", prompt)));
                            }
                        }
                        String want = ScriptedGenerator.expected(ids, 16);
                        if (!want.equals(got)) {
                            failures.add("client " + cl + " request " + i + ": got '" + got + "', want '" + want + "'");
                        }
                    } catch (RuntimeException e) {
                        failures.add("client " + cl + " request " + i + ": " + e);
                    }
                    latencies.add((System.nanoTime() - t0) / 1e9);
                }
            }));
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertThat(failures).isEmpty();
        return latencies;
    }

    private static int[] withBos(ByteTokenizer tok, String prompt) {
        int[] ids = tok.encode(prompt);
        int[] out = new int[ids.length + 1];
        out[0] = ByteTokenizer.BOS;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    private static CompletionCreateParams completion(String prompt) {
        return CompletionCreateParams.builder().model("m").prompt(prompt).maxTokens(16).temperature(0.0).build();
    }

    private static ChatCompletionCreateParams chat(String prompt) {
        return ChatCompletionCreateParams.builder().model("m").addUserMessage(prompt).maxCompletionTokens(16)
                .temperature(0.0).build();
    }

    // ---- cancellation and admission, with raw sockets so that the test controls the disconnect ----

    private static Socket post(OpenAiServer server, String body) throws Exception {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setSoTimeout((int) LIMIT.toMillis());
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = s.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + "Content-Length: " + b.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(b);
        out.flush();
        return s;
    }

    /** Reads the response until a line starting with {@code prefix}; returns the status line. */
    private static String readUntil(Socket s, String prefix) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        String status = in.readLine();
        for (String line; (line = in.readLine()) != null; ) {
            if (line.startsWith(prefix)) {
                return status;
            }
        }
        return status;
    }

    private static double metric(OpenAiServer server, String name, String... labelPairs) {
        return MetricsTest.sample(server.metrics().render(), name, labelPairs);
    }

    @Test
    void streamingClientThatDisconnectsCancelsItsGeneration() throws Exception {
        try (OpenAiServer server = start(1, 0, 20, 200)) {
            long t0 = System.nanoTime();
            // 1000 tokens at 20 ms each would take 20 s.
            try (Socket s = post(server, "{\"prompt\":\"a\",\"max_tokens\":1000,\"stream\":true}")) {
                assertThat(readUntil(s, "data: {")).contains("200");
            }
            await("the generation is cancelled", () -> server.activeGenerations() == 0 && server.inFlightRequests() == 0);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
            assertThat(metric(server, "vllm:request_success_total", "finished_reason", "abort")).isEqualTo(1);
            assertThat(metric(server, "vllm:generation_tokens_total")).isLessThan(500);
            assertSlotIsFree(server);
        }
    }

    @Test
    void nonStreamingClientThatDisconnectsIsDetectedByKeepAlive() throws Exception {
        try (OpenAiServer server = start(1, 0, 20, 100)) {
            long t0 = System.nanoTime();
            try (Socket s = post(server, "{\"prompt\":\"a\",\"max_tokens\":1000}")) {
                await("the generation runs", () -> server.activeGenerations() == 1);
                Thread.sleep(150);
            }
            await("the generation is cancelled", () -> server.activeGenerations() == 0 && server.inFlightRequests() == 0);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
            assertThat(metric(server, "vllm:request_success_total", "finished_reason", "abort")).isEqualTo(1);
            assertSlotIsFree(server);
        }
    }

    @Test
    void fullQueueAnswers429AtOnceAndCancelledRequestsFreeTheirPlaces() throws Exception {
        try (OpenAiServer server = start(1, 1, 20, 100)) {
            Socket running = post(server, "{\"prompt\":\"a\",\"max_tokens\":1000,\"stream\":true}");
            await("the first request decodes", () -> server.activeGenerations() == 1);
            Socket queued = post(server, "{\"prompt\":\"b\",\"max_tokens\":1000,\"stream\":true}");
            await("the second request waits", () -> server.queuedGenerations() == 1);

            long t0 = System.nanoTime();
            try (Socket rejected = post(server, "{\"prompt\":\"c\",\"max_tokens\":5}")) {
                BufferedReader in = new BufferedReader(new InputStreamReader(rejected.getInputStream(), StandardCharsets.UTF_8));
                assertThat(in.readLine()).contains("429");
            }
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5)); // the running request alone takes 20 s

            queued.close(); // noticed by the keep-alive while it waits
            running.close();
            await("both places are free", () -> server.activeGenerations() == 0 && server.queuedGenerations() == 0
                    && server.inFlightRequests() == 0);
            assertThat(metric(server, "rsd_http_requests_total", "route", "/v1/completions", "status", "429")).isEqualTo(1);
            assertSlotIsFree(server);
        }
    }

    /** A fresh request completes normally, so the slot and its generator were given back. */
    private static void assertSlotIsFree(OpenAiServer server) throws Exception {
        try (Socket s = post(server, "{\"prompt\":\"after\",\"max_tokens\":3,\"temperature\":0}")) {
            String status = readUntil(s, "{");
            assertThat(status).contains("200");
        }
    }
    /** A scripted generator that counts how often it is closed. */
    static final class ClosableGenerator extends ScriptedGenerator implements AutoCloseable {
        static final java.util.concurrent.atomic.AtomicInteger CLOSED = new java.util.concurrent.atomic.AtomicInteger();

        ClosableGenerator() {
            super(0);
        }

        @Override
        public void close() {
            CLOSED.incrementAndGet();
        }
    }

    @Test
    void closingTheServerClosesEveryGeneratorOnce() throws Exception {
        ClosableGenerator.CLOSED.set(0);
        OpenAiServer server = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 3, 1, 4096, 256, "m", 1000),
                ClosableGenerator::new, OpenAiServerSdkTest.QUIET);
        assertSlotIsFree(server);
        assertThat(ClosableGenerator.CLOSED.get()).isZero();
        server.close();
        assertThat(ClosableGenerator.CLOSED.get()).isEqualTo(3);
    }
}
