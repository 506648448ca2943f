package rsd.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntSupplier;
import rsd.decode.GenerationResult;
import rsd.metrics.RuleStats;

/**
 * The server's counters, rendered in the Prometheus text exposition format (version 0.0.4) for GET
 * /metrics. Lock-free on the request path; rendering takes a consistent-enough snapshot (each counter
 * is read once; a scrape racing a request may see one counter updated before another, as usual for
 * Prometheus clients).
 */
final class ServerMetrics {
    /** Latency bucket bounds in seconds: a token stream lasts from milliseconds to minutes. */
    static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>(); // "route\0status"
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();   // route
    private final Map<String, LongAdder[]> rules = new ConcurrentHashMap<>();   // rule -> {drafted, accepted}
    private final LongAdder promptTokens = new LongAdder();
    private final LongAdder generatedTokens = new LongAdder();
    private final LongAdder forwardPasses = new LongAdder();
    private final LongAdder generations = new LongAdder();
    private final LongAdder cancelled = new LongAdder();
    private final IntSupplier queueDepth;
    private final IntSupplier active;

    ServerMetrics(IntSupplier queueDepth, IntSupplier active) {
        this.queueDepth = queueDepth;
        this.active = active;
    }

    void request(String route, int status, double seconds) {
        requests.computeIfAbsent(route + '\0' + status, k -> new LongAdder()).increment();
        latency.computeIfAbsent(route, k -> new Histogram()).observe(seconds);
    }

    void generation(GenerationResult r) {
        generations.increment();
        promptTokens.add(r.promptTokens());
        generatedTokens.add(r.totalTokens());
        forwardPasses.add(r.forwardPasses());
        if ("cancelled".equals(r.stopReason())) {
            cancelled.increment();
        }
        if (r.perRule() != null) {
            for (Map.Entry<String, RuleStats> e : r.perRule().entrySet()) {
                LongAdder[] c = rules.computeIfAbsent(e.getKey(), k -> new LongAdder[] {new LongAdder(), new LongAdder()});
                c[0].add(e.getValue().drafted());
                c[1].add(e.getValue().accepted());
            }
        }
    }

    String render() {
        StringBuilder sb = new StringBuilder(4096);
        header(sb, "rsd_http_requests_total", "counter", "HTTP requests answered, by route and status.");
        for (var e : new TreeMap<>(requests).entrySet()) {
            String[] k = e.getKey().split("\0", 2);
            sb.append("rsd_http_requests_total{route=\"").append(escape(k[0])).append("\",status=\"").append(k[1])
                    .append("\"} ").append(e.getValue().sum()).append('\n');
        }
        header(sb, "rsd_http_request_duration_seconds", "histogram",
                "Time from request received to response complete (whole stream for streaming requests).");
        for (var e : new TreeMap<>(latency).entrySet()) {
            e.getValue().render(sb, "rsd_http_request_duration_seconds", "route=\"" + escape(e.getKey()) + "\"");
        }
        counter(sb, "rsd_generations_total", "Generations run to completion or cancellation.", generations.sum());
        counter(sb, "rsd_generations_cancelled_total", "Generations cancelled (client gone or server stopping).",
                cancelled.sum());
        counter(sb, "rsd_prompt_tokens_total", "Prompt tokens processed.", promptTokens.sum());
        counter(sb, "rsd_generated_tokens_total", "Tokens generated.", generatedTokens.sum());
        counter(sb, "rsd_forward_passes_total", "Model forward passes during generation (prefill excluded).",
                forwardPasses.sum());
        header(sb, "rsd_drafted_tokens_total", "counter", "Guessed tokens verified by the model, by rule.");
        TreeMap<String, LongAdder[]> sortedRules = new TreeMap<>(rules);
        for (var e : sortedRules.entrySet()) {
            sb.append("rsd_drafted_tokens_total{rule=\"").append(escape(e.getKey())).append("\"} ")
                    .append(e.getValue()[0].sum()).append('\n');
        }
        header(sb, "rsd_accepted_tokens_total", "counter", "Guessed tokens the model accepted, by rule.");
        for (var e : sortedRules.entrySet()) {
            sb.append("rsd_accepted_tokens_total{rule=\"").append(escape(e.getKey())).append("\"} ")
                    .append(e.getValue()[1].sum()).append('\n');
        }
        header(sb, "rsd_queue_depth", "gauge", "Admitted requests waiting for a decoding slot.");
        sb.append("rsd_queue_depth ").append(queueDepth.getAsInt()).append('\n');
        header(sb, "rsd_active_generations", "gauge", "Requests decoding right now.");
        sb.append("rsd_active_generations ").append(active.getAsInt()).append('\n');
        return sb.toString();
    }

    private static void counter(StringBuilder sb, String name, String help, long value) {
        header(sb, name, "counter", help);
        sb.append(name).append(' ').append(value).append('\n');
    }

    private static void header(StringBuilder sb, String name, String type, String help) {
        sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
        sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static String escape(String label) {
        return label.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A fixed-bucket histogram; counts are per bucket and made cumulative when rendered. */
    static final class Histogram {
        private final AtomicLongArray counts = new AtomicLongArray(LATENCY_BUCKETS.length + 1);
        private final LongAdder sumMicros = new LongAdder();

        void observe(double seconds) {
            int i = 0;
            while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]) {
                i++;
            }
            counts.incrementAndGet(i);
            sumMicros.add(Math.round(seconds * 1e6));
        }

        void render(StringBuilder sb, String name, String labels) {
            long cumulative = 0;
            for (int i = 0; i <= LATENCY_BUCKETS.length; i++) {
                cumulative += counts.get(i);
                String le = i < LATENCY_BUCKETS.length ? Double.toString(LATENCY_BUCKETS[i]) : "+Inf";
                sb.append(name).append("_bucket{").append(labels).append(",le=\"").append(le).append("\"} ")
                        .append(cumulative).append('\n');
            }
            sb.append(name).append("_sum{").append(labels).append("} ").append(sumMicros.sum() / 1e6).append('\n');
            sb.append(name).append("_count{").append(labels).append("} ").append(cumulative).append('\n');
        }
    }
}
