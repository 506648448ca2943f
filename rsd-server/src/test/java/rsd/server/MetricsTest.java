package rsd.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import rsd.decode.Decoder;
import rsd.decode.SingleDrafterSpeculator;
import rsd.testing.FakeModel;
import rsd.testing.OracleDrafter;

/**
 * GET /metrics after real requests: vLLM's counters equal the sums of what the responses reported, every
 * histogram counts each request (or each step) once, a request that waited for the slot has its queue
 * time, and the scrape speaks both text formats.
 */
class MetricsTest {
    private static final ByteTokenizer TOKENIZER = new ByteTokenizer();
    private static final FakeModel MODEL = new FakeModel(TOKENIZER.vocabSize(), 512, 7, 6f, -1e4f);
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** What one request's answer said, streamed or not. */
    record Answer(int promptTokens, int completionTokens, String finishReason, long drafted, long accepted,
                  int forwardPasses) {
    }

    /**
     * The sum of the samples named {@code name} whose labels include every {@code label=value} pair given;
     * fails when there is none.
     */
    static double sample(String scrape, String name, String... labelPairs) {
        double sum = 0;
        boolean found = false;
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (line.startsWith("#") || !m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            Map<String, String> labels = new LinkedHashMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            boolean all = true;
            for (int i = 0; i < labelPairs.length; i += 2) {
                all &= labelPairs[i + 1].equals(labels.get(labelPairs[i]));
            }
            if (all) {
                sum += Double.parseDouble(m.group(4));
                found = true;
            }
        }
        if (!found) {
            throw new AssertionError("no sample " + name + " with " + List.of(labelPairs) + " in\n" + scrape);
        }
        return sum;
    }

    private static String scrape(OpenAiServer s) throws Exception {
        AccessAndExtrasTest.Reply r = AccessAndExtrasTest.raw(s.port(), "GET", "/metrics", null, "Host: 127.0.0.1");
        assertThat(r.status()).isEqualTo(200);
        return r.body();
    }

    private static String scrapeUntil(OpenAiServer s, java.util.function.Predicate<String> done) throws Exception {
        long deadline = System.nanoTime() + 5_000_000_000L;
        String text = scrape(s);
        while (!done.test(text) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            text = scrape(s);
        }
        return text;
    }

    private static Answer ask(OpenAiServer s, String path, String body) throws Exception {
        AccessAndExtrasTest.Reply r = AccessAndExtrasTest.raw(s.port(), "POST", path, body, "Host: 127.0.0.1",
                "Content-Type: application/json");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode usage = null, rsd = null;
        String finish = null;
        if (body.contains("\"stream\":true")) {
            for (String line : r.body().split("\n")) {
                if (!line.startsWith("data: {")) {
                    continue;
                }
                JsonNode event = OpenAiServer.JSON.readTree(line.substring(6));
                usage = event.hasNonNull("usage") ? event.get("usage") : usage;
                rsd = event.has("rsd") ? event.get("rsd") : rsd;
                JsonNode f = event.at("/choices/0/finish_reason");
                finish = f.isTextual() ? f.asText() : finish;
            }
        } else {
            JsonNode json = r.json();
            usage = json.get("usage");
            rsd = json.get("rsd");
            finish = json.at("/choices/0/finish_reason").asText();
        }
        assertThat(usage).as(r.body()).isNotNull();
        assertThat(rsd).as(r.body()).isNotNull();
        return new Answer(usage.get("prompt_tokens").asInt(), usage.get("completion_tokens").asInt(), finish,
                rsd.get("drafted_tokens").asLong(), rsd.get("accepted_tokens").asLong(), rsd.get("forward_passes").asInt());
    }

    @Test
    void countersAndHistogramsAgreeWithTheAnswersOfASpeculativeDecoder() throws Exception {
        List<Answer> answers = new ArrayList<>();
        String scrape;
        try (OpenAiServer s = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 1 << 16, 512, "m", 1000),
                () -> new Decoder(MODEL, TOKENIZER, new SingleDrafterSpeculator(new OracleDrafter(MODEL, 0.3, 11, "oracle"), 5),
                        "oracle"), OpenAiServerSdkTest.QUIET)) {
            answers.add(ask(s, "/v1/completions", "{\"prompt\":\"def f(x):\",\"max_tokens\":40,\"temperature\":0}"));
            answers.add(ask(s, "/v1/completions", "{\"prompt\":\"class A:\",\"max_tokens\":25,\"temperature\":0,"
                    + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}"));
            answers.add(ask(s, "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    + "\"max_tokens\":30,\"temperature\":0.8,\"seed\":3,\"logprobs\":true,\"top_logprobs\":2}"));
            answers.add(ask(s, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1,\"temperature\":0}"));
            // An exchange is counted when it has ended, just after its client has the answer.
            scrape = scrapeUntil(s, t -> sample(t, "rsd_http_requests_total", "route", "/v1/completions") >= 3);
        }
        int n = answers.size();
        String[] m = {"model_name", "m"};
        assertThat(sample(scrape, "vllm:prompt_tokens_total", m))
                .isEqualTo(answers.stream().mapToInt(Answer::promptTokens).sum());
        assertThat(sample(scrape, "vllm:generation_tokens_total", m))
                .isEqualTo(answers.stream().mapToInt(Answer::completionTokens).sum());
        for (String reason : ServerMetrics.FINISHED_REASONS) {
            assertThat(sample(scrape, "vllm:request_success_total", "model_name", "m", "finished_reason", reason))
                    .as(reason).isEqualTo(answers.stream().filter(a -> reason.equals(a.finishReason())).count());
        }

        long drafted = answers.stream().mapToLong(Answer::drafted).sum();
        long accepted = answers.stream().mapToLong(Answer::accepted).sum();
        int forwards = answers.stream().mapToInt(Answer::forwardPasses).sum();
        assertThat(accepted).as("the oracle's guesses were accepted").isPositive();
        assertThat(sample(scrape, "vllm:spec_decode_num_draft_tokens_total", m)).isEqualTo(drafted);
        assertThat(sample(scrape, "vllm:spec_decode_num_accepted_tokens_total", m)).isEqualTo(accepted)
                .isLessThanOrEqualTo(sample(scrape, "vllm:spec_decode_num_draft_tokens_total", m));
        double drafts = sample(scrape, "vllm:spec_decode_num_drafts_total", m);
        assertThat(drafts).isPositive().isLessThanOrEqualTo(forwards).isLessThanOrEqualTo(drafted);
        assertThat(sample(scrape, "rsd_forward_passes_total", m)).isEqualTo(forwards);
        assertThat(sample(scrape, "rsd_drafted_tokens_total", "model_name", "m", "rule", "oracle")).isEqualTo(drafted);
        assertThat(sample(scrape, "rsd_accepted_tokens_total", "model_name", "m", "rule", "oracle")).isEqualTo(accepted);

        // one observation per request, every bucket series cumulative up to +Inf
        for (String h : List.of("vllm:time_to_first_token_seconds", "vllm:e2e_request_latency_seconds",
                "vllm:request_queue_time_seconds", "vllm:request_inference_time_seconds",
                "vllm:request_prefill_time_seconds", "vllm:request_decode_time_seconds",
                "vllm:request_prompt_tokens", "vllm:request_generation_tokens")) {
            assertThat(sample(scrape, h + "_count", m)).as(h).isEqualTo(n);
            assertThat(sample(scrape, h + "_bucket", "model_name", "m", "le", "+Inf")).as(h).isEqualTo(n);
            assertCumulative(scrape, h + "_bucket");
        }
        assertThat(sample(scrape, "vllm:request_prompt_tokens_sum", m))
                .isEqualTo(answers.stream().mapToInt(Answer::promptTokens).sum());
        // a decoding step emits its accepted guesses with its own token: one latency per step after the first
        assertThat(sample(scrape, "vllm:inter_token_latency_seconds_count", m)).isEqualTo(forwards - n);
        assertThat(sample(scrape, "vllm:request_time_per_output_token_seconds_count", m))
                .isEqualTo(answers.stream().filter(a -> a.completionTokens() > 1).count());
        assertThat(sample(scrape, "vllm:e2e_request_latency_seconds_sum", m))
                .isGreaterThanOrEqualTo(sample(scrape, "vllm:time_to_first_token_seconds_sum", m));

        assertThat(sample(scrape, "rsd_http_requests_total", "route", "/v1/completions", "status", "200")).isEqualTo(3);
        assertThat(sample(scrape, "rsd_http_requests_total", "route", "/v1/chat/completions", "status", "200")).isEqualTo(1);
    }

    private static void assertCumulative(String scrape, String bucketName) {
        double previous = 0;
        for (String line : scrape.split("\n")) {
            if (line.startsWith(bucketName + "{")) {
                double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                assertThat(v).as(line).isGreaterThanOrEqualTo(previous);
                previous = v;
            }
        }
    }

    @Test
    void aRequestThatWaitsForTheOnlySlotHasItsQueueTimeRecorded() throws Exception {
        try (OpenAiServer s = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 1 << 16, 512, "m", 1000),
                () -> new ScriptedGenerator(10), OpenAiServerSdkTest.QUIET);
             HttpClient http = HttpClient.newHttpClient()) {
            URI completions = URI.create("http://127.0.0.1:" + s.port() + "/v1/completions");
            // The first request holds the only slot for about a second (100 tokens, 10 ms each).
            HttpResponse<InputStream> first = http.send(post(completions,
                    "{\"prompt\":\"a\",\"max_tokens\":100,\"stream\":true}"), HttpResponse.BodyHandlers.ofInputStream());
            BufferedReader stream = new BufferedReader(new InputStreamReader(first.body(), StandardCharsets.UTF_8));
            for (String line; (line = stream.readLine()) != null && !line.contains("\"text\":\""); ) {
                // until the first token: the first request is decoding
            }
            CompletableFuture<HttpResponse<String>> second = http.sendAsync(post(completions,
                    "{\"prompt\":\"b\",\"max_tokens\":5}"), HttpResponse.BodyHandlers.ofString());
            String during = scrapeUntil(s, t -> sample(t, "vllm:num_requests_waiting", "model_name", "m") >= 1);
            assertThat(sample(during, "vllm:num_requests_waiting", "model_name", "m")).isEqualTo(1);
            assertThat(sample(during, "vllm:num_requests_running", "model_name", "m")).isEqualTo(1);
            while (stream.readLine() != null) {
                // the rest of the first stream
            }
            assertThat(second.get().statusCode()).isEqualTo(200);

            String after = scrape(s);
            String queue = "vllm:request_queue_time_seconds";
            assertThat(sample(after, queue + "_count", "model_name", "m")).isEqualTo(2);
            double waitedLong = sample(after, queue + "_count", "model_name", "m")
                    - sample(after, queue + "_bucket", "model_name", "m", "le", "0.1");
            assertThat(waitedLong).as("the second request waited most of the first one's second").isGreaterThanOrEqualTo(1);
            assertThat(sample(after, queue + "_sum", "model_name", "m")).isGreaterThan(0.1);
            // its time to first token includes the wait
            assertThat(sample(after, "vllm:time_to_first_token_seconds_sum", "model_name", "m"))
                    .isGreaterThanOrEqualTo(sample(after, queue + "_sum", "model_name", "m"));
        }
    }

    private static HttpRequest post(URI uri, String body) {
        return HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    @Test
    void scrapeIsPrometheusTextOrOpenMetricsAsAskedAndCarriesJvmMetrics() throws Exception {
        try (OpenAiServer s = OpenAiServer.start(new ServerOptions("127.0.0.1", 0, 1, 2, 1 << 16, 512, "m", 1000),
                () -> new ScriptedGenerator(0), OpenAiServerSdkTest.QUIET)) {
            ask(s, "/v1/completions", "{\"prompt\":\"a\",\"max_tokens\":3}");
            AccessAndExtrasTest.Reply text = AccessAndExtrasTest.raw(s.port(), "GET", "/metrics", null, "Host: 127.0.0.1");
            assertThat(text.header("Content-Type")).isEqualTo("text/plain; version=0.0.4; charset=utf-8");
            assertThat(text.body()).contains("# TYPE vllm:generation_tokens_total counter")
                    .doesNotContain("# EOF");
            AccessAndExtrasTest.Reply om = AccessAndExtrasTest.raw(s.port(), "GET", "/metrics", null, "Host: 127.0.0.1",
                    "Accept: application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5");
            assertThat(om.header("Content-Type")).startsWith("application/openmetrics-text; version=1.0.0");
            assertThat(om.body()).contains("# TYPE vllm:generation_tokens counter").endsWith("# EOF\n");
            assertThat(sample(om.body(), "vllm:generation_tokens_total", "model_name", "m")).isEqualTo(3);

            String body = text.body();
            assertThat(sample(body, "jvm_memory_used_bytes", "area", "heap")).isPositive();
            assertThat(sample(body, "jvm_threads_live_threads")).isPositive();
            assertThat(sample(body, "process_uptime_seconds")).isPositive();
            assertThat(body).contains("# TYPE jvm_gc_memory_allocated_bytes_total counter");
        }
    }
}
