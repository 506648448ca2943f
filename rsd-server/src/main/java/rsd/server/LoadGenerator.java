package rsd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Measures a running server the way the concurrent test loads it: {@code clients} threads each send
 * {@code requests} completions one after another (alternating streaming and non-streaming), and the tool
 * reports latency percentiles and throughput, and the server's own time to first token (from its /metrics
 * histogram, scraped before and after the run). Run against {@code rsd serve}:
 * {@code java -cp target/rsd.jar rsd.server.LoadGenerator http://127.0.0.1:8080 8 25 32}.
 */
public final class LoadGenerator {
    /** One request's outcome: status, whole-request latency, time to first streamed text, tokens. */
    record Sample(int status, double seconds, double firstTokenSeconds, int completionTokens, boolean streamed,
                  String text) {
    }

    /**
     * What a run measured. Latencies are in seconds. {@code serverFirstToken} is the server's own time to
     * first token histogram over the run (null when the server has no such metric).
     */
    public record Report(int requests, int errors, double p50, double p95, double max, double wallSeconds,
                         long completionTokens, double firstTokenP50, ServerHistogram serverFirstToken) {
        public double requestsPerSecond() {
            return requests / wallSeconds;
        }

        public double tokensPerSecond() {
            return completionTokens / wallSeconds;
        }

        @Override
        public String toString() {
            String server = serverFirstToken == null ? "" : String.format(Locale.ROOT,
                    "; server's time to first token p50 %.3f s, mean %.3f s over %d requests",
                    serverFirstToken.p50(), serverFirstToken.mean(), serverFirstToken.count());
            return String.format(Locale.ROOT,
                    "%d requests, %d errors in %.2f s: latency p50 %.3f s, p95 %.3f s, max %.3f s; "
                            + "first streamed text p50 %.3f s%s; throughput %.2f requests/s, %.1f completion tokens/s",
                    requests, errors, wallSeconds, p50, p95, max, firstTokenP50, server, requestsPerSecond(),
                    tokensPerSecond());
        }
    }

    /** The server's {@code vllm:time_to_first_token_seconds} observations made during a run. */
    public record ServerHistogram(long count, double mean, double p50) {
    }

    static final String FIRST_TOKEN = "vllm:time_to_first_token_seconds";
    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)");
    private static final Pattern LE = Pattern.compile("(?:^|,)le=\"([^\"]*)\"");

    /** One histogram from a scrape in the Prometheus text format, its series (one per model) added up. */
    static final class Histogram {
        final TreeMap<Double, Double> cumulative = new TreeMap<>();
        double sum;
        double count;

        /** The histogram {@code name} in {@code scrape}; null when there is none. */
        static Histogram parse(String scrape, String name) {
            Histogram h = new Histogram();
            boolean found = false;
            for (String line : scrape.split("\n")) {
                Matcher m = SAMPLE.matcher(line);
                if (line.startsWith("#") || !m.matches() || !m.group(1).startsWith(name + "_")) {
                    continue;
                }
                double v = Double.parseDouble(m.group(3));
                switch (m.group(1).substring(name.length())) {
                    case "_bucket" -> {
                        Matcher le = LE.matcher(m.group(2) == null ? "" : m.group(2));
                        if (le.find()) {
                            double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY
                                    : Double.parseDouble(le.group(1));
                            h.cumulative.merge(bound, v, Double::sum);
                            found = true;
                        }
                    }
                    case "_sum" -> h.sum += v;
                    case "_count" -> h.count += v;
                    default -> {
                    }
                }
            }
            return found ? h : null;
        }

        /** The observations made since {@code earlier} (a scrape of the same server before). */
        Histogram minus(Histogram earlier) {
            Histogram d = new Histogram();
            for (var e : cumulative.entrySet()) {
                d.cumulative.put(e.getKey(), e.getValue() - earlier.cumulative.getOrDefault(e.getKey(), 0.0));
            }
            d.sum = sum - earlier.sum;
            d.count = count - earlier.count;
            return d;
        }

        /**
         * The q-quantile, interpolated linearly inside the bucket that holds it, as PromQL's
         * histogram_quantile does; the highest finite bound when it falls in the +Inf bucket.
         */
        double quantile(double q) {
            if (count <= 0) {
                return 0;
            }
            double rank = q * count;
            double lower = 0;
            double below = 0;
            for (var e : cumulative.entrySet()) {
                if (e.getValue() >= rank) {
                    if (e.getKey().isInfinite()) {
                        return lower;
                    }
                    double inBucket = e.getValue() - below;
                    return inBucket <= 0 ? e.getKey() : lower + (e.getKey() - lower) * (rank - below) / inBucket;
                }
                lower = e.getKey();
                below = e.getValue();
            }
            return lower;
        }
    }

    private LoadGenerator() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LoadGenerator URL [clients=8] [requests-per-client=25] [max_tokens=32]");
            System.exit(2);
        }
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int requests = args.length > 2 ? Integer.parseInt(args[2]) : 25;
        int maxTokens = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        List<Sample> samples = new CopyOnWriteArrayList<>();
        Report r = run(URI.create(args[0]), clients, requests, maxTokens, samples);
        System.out.println(r);
        System.exit(r.errors() == 0 ? 0 : 1);
    }

    /** Prompt number i of client c: distinct prompts so that outputs differ between requests. */
    static String prompt(int client, int i) {
        return "def task_" + client + "_" + i + "(values):\n    \"\"\"Return the sum of the values.\"\"\"\n";
    }

    static Report run(URI base, int clients, int requestsPerClient, int maxTokens, List<Sample> samples)
            throws InterruptedException {
        String root = base.toString().replaceAll("/+$", "").replaceAll("/v1$", "");
        URI completions = URI.create(root + "/v1/completions");
        try (HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build()) {
            URI metrics = URI.create(root + "/metrics");
            Histogram before = firstTokens(http, metrics);
            long start = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int client = c;
                threads.add(Thread.ofPlatform().name("load-client-" + c).start(() -> {
                    for (int i = 0; i < requestsPerClient; i++) {
                        samples.add(one(http, completions, prompt(client, i), maxTokens, (client + i) % 2 == 0));
                    }
                }));
            }
            for (Thread t : threads) {
                t.join();
            }
            double wall = (System.nanoTime() - start) / 1e9;
            double[] latency = samples.stream().mapToDouble(Sample::seconds).sorted().toArray();
            double[] first = samples.stream().filter(Sample::streamed).mapToDouble(Sample::firstTokenSeconds)
                    .filter(d -> d >= 0).sorted().toArray();
            int errors = (int) samples.stream().filter(s -> s.status() != 200).count();
            long tokens = samples.stream().mapToLong(Sample::completionTokens).sum();
            Histogram after = firstTokens(http, metrics);
            ServerHistogram server = null;
            if (after != null) {
                Histogram run = before == null ? after : after.minus(before);
                server = new ServerHistogram(Math.round(run.count), run.count > 0 ? run.sum / run.count : 0,
                        run.quantile(0.5));
            }
            return new Report(samples.size(), errors, percentile(latency, 50), percentile(latency, 95),
                    latency.length == 0 ? 0 : latency[latency.length - 1], wall, tokens, percentile(first, 50), server);
        }
    }

    /** The server's time to first token histogram now; null when /metrics does not answer with one. */
    private static Histogram firstTokens(HttpClient http, URI metrics) throws InterruptedException {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? Histogram.parse(r.body(), FIRST_TOKEN) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static Sample one(HttpClient http, URI uri, String prompt, int maxTokens, boolean stream) {
        ObjectNode body = OpenAiServer.JSON.createObjectNode();
        body.put("model", "rsd");
        body.put("prompt", prompt);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("stream", stream);
        if (stream) {
            body.putObject("stream_options").put("include_usage", true);
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        long t0 = System.nanoTime();
        try {
            if (!stream) {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                double secs = (System.nanoTime() - t0) / 1e9;
                if (r.statusCode() != 200) {
                    return new Sample(r.statusCode(), secs, -1, 0, false, r.body());
                }
                JsonNode json = OpenAiServer.JSON.readTree(r.body());
                return new Sample(200, secs, -1, json.at("/usage/completion_tokens").asInt(), false,
                        json.at("/choices/0/text").asText());
            }
            HttpResponse<InputStream> r = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
            double first = -1;
            int tokens = 0;
            StringBuilder text = new StringBuilder();
            boolean done = false;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                if (r.statusCode() != 200) {
                    return new Sample(r.statusCode(), (System.nanoTime() - t0) / 1e9, -1, 0, true, in.readLine());
                }
                for (String line; (line = in.readLine()) != null; ) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    String data = line.substring(6);
                    if (data.equals("[DONE]")) {
                        done = true;
                        break;
                    }
                    JsonNode chunk = OpenAiServer.JSON.readTree(data);
                    if (chunk.has("error")) {
                        return new Sample(500, (System.nanoTime() - t0) / 1e9, first, tokens, true, data);
                    }
                    String piece = chunk.at("/choices/0/text").asText("");
                    if (!piece.isEmpty() && first < 0) {
                        first = (System.nanoTime() - t0) / 1e9;
                    }
                    text.append(piece);
                    if (chunk.hasNonNull("usage")) {
                        tokens = chunk.at("/usage/completion_tokens").asInt();
                    }
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            return new Sample(done ? 200 : 599, secs, first, tokens, true, text.toString());
        } catch (Exception e) {
            return new Sample(-1, (System.nanoTime() - t0) / 1e9, -1, 0, stream, e.toString());
        }
    }
}
