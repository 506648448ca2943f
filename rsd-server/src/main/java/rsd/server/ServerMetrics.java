package rsd.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import rsd.decode.GenerationResult;
import rsd.decode.LogitsListener;
import rsd.decode.TokenListener;
import rsd.metrics.RuleStats;
import rsd.metrics.StepTrace;

/**
 * The server's meters (Micrometer, exposed through its Prometheus registry) for GET /metrics, in the
 * Prometheus text format 0.0.4 or, when the scraper's Accept header asks for it, OpenMetrics 1.0.
 *
 * <p>Generation metrics carry vLLM's names, {@code vllm:} prefix included, and its {@code model_name}
 * label, so that dashboards and alerts written for vLLM work unchanged; rsd's own figures (HTTP routes and
 * statuses, guesses per rule, forward passes) are named {@code rsd_...}; the JVM's are Micrometer's
 * {@code jvm_...}, {@code process_...} and {@code system_...}. docs/server.md lists them all.
 *
 * <p>Timings come from a {@link Clock} per request: created with its job (after the request was read and
 * parsed), started when a decoding slot takes the job, and fed by the listener that sees every token on the
 * decoding thread. Everything a finished generation adds is recorded before its result is handed to the
 * HTTP handler, so a scrape after a response sees that response counted.
 */
final class ServerMetrics implements AutoCloseable {
    /** Whole HTTP exchanges, from milliseconds (a health check) to minutes (a long stream). */
    static final double[] HTTP_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
    /** vLLM's bounds for time to first token. */
    static final double[] FIRST_TOKEN_BUCKETS = {0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
            1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560};
    /** vLLM's bounds for the time between tokens, below them three more for a small model on a fast machine. */
    static final double[] TOKEN_BUCKETS = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4,
            0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80};
    /**
     * vLLM's bounds for whole-request phases (0.3 s to about 2 hours), with finer ones below 0.3 s: a queue
     * wait or a prefill on a small model is often a few milliseconds.
     */
    static final double[] REQUEST_BUCKETS = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5,
            10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680};
    /** vLLM's finished_reason values: an end-of-text token or a stop string is "stop", a cancellation "abort". */
    static final String[] FINISHED_REASONS = {"stop", "length", "abort"};

    static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";
    static final String OPEN_METRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

    /** What a scrape answers: the body and its Content-Type. */
    record Scrape(String contentType, String body) {
    }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Tags model;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Map<String, Counter> success;
    private final Counter drafts;
    private final Counter draftTokens;
    private final Counter acceptedTokens;
    private final Counter forwardPasses;
    private final Timer firstToken;
    private final Timer interToken;
    private final Timer perOutputToken;
    private final Timer e2e;
    private final Timer queue;
    private final Timer inference;
    private final Timer prefill;
    private final Timer decode;
    private final DistributionSummary promptTokensPerRequest;
    private final DistributionSummary generationTokensPerRequest;

    /**
     * @param modelName     the {@code model_name} label: the served model's id, whatever name a request used
     * @param contextLength the largest token count a request can have (bounds the token-count histograms)
     */
    ServerMetrics(String modelName, int contextLength) {
        this.model = Tags.of("model_name", modelName);
        promptTokens = counter("vllm:prompt_tokens", "Number of prefill tokens processed.");
        generationTokens = counter("vllm:generation_tokens", "Number of generation tokens processed.");
        success = Map.of(
                "stop", finishedCounter("stop"),
                "length", finishedCounter("length"),
                "abort", finishedCounter("abort"));
        drafts = counter("vllm:spec_decode_num_drafts",
                "Number of spec decoding drafts: decoding steps that verified at least one guessed token.");
        draftTokens = counter("vllm:spec_decode_num_draft_tokens",
                "Number of draft tokens: guessed tokens verified by the model (every branch of a tree).");
        acceptedTokens = counter("vllm:spec_decode_num_accepted_tokens",
                "Number of accepted tokens: guessed tokens the model accepted and emitted.");
        forwardPasses = counter("rsd_forward_passes",
                "Model forward passes during generation (prefill excluded); generation tokens / forward passes is "
                        + "the tokens won per forward.");
        firstToken = timer("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                FIRST_TOKEN_BUCKETS);
        interToken = timer("vllm:inter_token_latency_seconds",
                "Histogram of inter-token latency in seconds: time between the tokens of consecutive decoding "
                        + "steps (a step's accepted guesses arrive with its own token).", TOKEN_BUCKETS);
        perOutputToken = timer("vllm:request_time_per_output_token_seconds",
                "Histogram of each request's mean time per output token: (last token - first token) / "
                        + "(generation tokens - 1).", TOKEN_BUCKETS);
        e2e = timer("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
                REQUEST_BUCKETS);
        queue = timer("vllm:request_queue_time_seconds",
                "Histogram of time spent in WAITING phase for request: until a decoding slot took it.",
                REQUEST_BUCKETS);
        inference = timer("vllm:request_inference_time_seconds",
                "Histogram of time spent in RUNNING phase for request.", REQUEST_BUCKETS);
        prefill = timer("vllm:request_prefill_time_seconds",
                "Histogram of time spent in PREFILL phase for request: from the start of decoding to the first "
                        + "token.", REQUEST_BUCKETS);
        decode = timer("vllm:request_decode_time_seconds",
                "Histogram of time spent in DECODE phase for request: from the first token to the last.",
                REQUEST_BUCKETS);
        double[] tokenCounts = oneTwoFive(contextLength);
        promptTokensPerRequest = summary("vllm:request_prompt_tokens", "Number of prefill tokens processed.",
                tokenCounts);
        generationTokensPerRequest = summary("vllm:request_generation_tokens",
                "Number of generation tokens processed.", tokenCounts);

        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new JvmCompilationMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
    }

    /** The gauges of the decoding slots: requests decoding now and requests waiting for a slot. */
    void watch(IntSupplier running, IntSupplier waiting) {
        Gauge.builder("vllm:num_requests_running", running::getAsInt).strongReference(true).tags(model)
                .description("Number of requests in model execution batches: decoding now.").register(registry);
        Gauge.builder("vllm:num_requests_waiting", waiting::getAsInt).strongReference(true).tags(model)
                .description("Number of requests waiting to be processed: admitted, waiting for a decoding slot.")
                .register(registry);
    }

    /** One answered HTTP exchange; status 499 means the client went away before the answer. */
    void request(String route, int status, double seconds) {
        Counter.builder("rsd_http_requests").description("HTTP requests answered, by route and status.")
                .tags("route", route, "status", Integer.toString(status)).register(registry).increment();
        Timer.builder("rsd_http_request_duration_seconds")
                .description("Time from request received to response complete (whole stream for streaming "
                        + "requests).")
                .tags("route", route).serviceLevelObjectives(durations(HTTP_BUCKETS)).register(registry)
                .record((long) (seconds * 1e9), TimeUnit.NANOSECONDS);
    }

    /**
     * A slot took the job: records its queue time and returns the listener to give the generator, which
     * times every token before passing it on to {@code listener} (null when nobody else listens).
     */
    TokenListener started(Clock clock, TokenListener listener) {
        clock.started = System.nanoTime();
        queue.record(clock.started - clock.arrived, TimeUnit.NANOSECONDS);
        return listener instanceof LogitsListener l ? new TimedLogits(clock, l) : new Timed(clock, listener);
    }

    /** A started generation ended, complete or cancelled. */
    void finished(Clock clock, GenerationResult r) {
        long end = System.nanoTime();
        success.get(finishedReason(r.stopReason())).increment();
        promptTokens.increment(r.promptTokens());
        generationTokens.increment(r.totalTokens());
        promptTokensPerRequest.record(r.promptTokens());
        generationTokensPerRequest.record(r.totalTokens());
        forwardPasses.increment(r.forwardPasses());
        long withGuesses = 0;
        for (StepTrace step : r.steps()) {
            if (step.treeSize() > 0) {
                withGuesses++;
            }
        }
        drafts.increment(withGuesses);
        draftTokens.increment(r.draftedTokens());
        acceptedTokens.increment(r.acceptedTokens());
        if (r.perRule() != null) {
            for (Map.Entry<String, RuleStats> e : r.perRule().entrySet()) {
                Tags rule = model.and("rule", e.getKey());
                Counter.builder("rsd_drafted_tokens").description("Guessed tokens verified by the model, by rule.")
                        .tags(rule).register(registry).increment(e.getValue().drafted());
                Counter.builder("rsd_accepted_tokens").description("Guessed tokens the model accepted, by rule.")
                        .tags(rule).register(registry).increment(e.getValue().accepted());
            }
        }
        e2e.record(end - clock.arrived, TimeUnit.NANOSECONDS);
        inference.record(end - clock.started, TimeUnit.NANOSECONDS);
        if (clock.firstToken >= 0) {
            prefill.record(clock.firstToken - clock.started, TimeUnit.NANOSECONDS);
            decode.record(clock.lastToken - clock.firstToken, TimeUnit.NANOSECONDS);
            if (clock.tokens > 1) {
                perOutputToken.record((clock.lastToken - clock.firstToken) / (clock.tokens - 1), TimeUnit.NANOSECONDS);
            }
        }
    }

    /** An admitted job that never started decoding (its client left while it waited, or the server stopped). */
    void abandoned() {
        success.get("abort").increment();
    }

    /**
     * Renders every meter. {@code accept} is the scraper's Accept header (may be null): OpenMetrics when it
     * accepts {@code application/openmetrics-text}, else the Prometheus text format 0.0.4.
     */
    Scrape scrape(String accept) {
        // Never the protobuf format a Prometheus server may also offer to take: text is what everyone reads.
        String type = accept != null && accept.contains("application/openmetrics-text") ? OPEN_METRICS : TEXT_FORMAT;
        return new Scrape(type, registry.scrape(type));
    }

    /** The Prometheus text format, as a scraper without an Accept header gets it. */
    String render() {
        return scrape(null).body();
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }

    static String finishedReason(String stopReason) {
        return switch (stopReason) {
            case "length" -> "length";
            case "cancelled" -> "abort";
            default -> "stop"; // "eos", "stop"
        };
    }

    /** 1, 2, 5, 10, 20, 50, ... up to {@code max}, as vLLM buckets token counts. */
    static double[] oneTwoFive(int max) {
        double[] out = new double[64];
        int n = 0;
        for (long scale = 1; n < out.length; scale *= 10) {
            for (int m : new int[] {1, 2, 5}) {
                if (m * scale > max) {
                    return Arrays.copyOf(out, n);
                }
                out[n++] = m * scale;
            }
        }
        return out;
    }

    private Counter counter(String name, String help) {
        return Counter.builder(name).description(help).tags(model).register(registry);
    }

    private Counter finishedCounter(String reason) {
        return Counter.builder("vllm:request_success").description("Count of successfully processed requests.")
                .tags(model.and("finished_reason", reason)).register(registry);
    }

    private Timer timer(String name, String help, double[] bucketSeconds) {
        return Timer.builder(name).description(help).tags(model).serviceLevelObjectives(durations(bucketSeconds))
                .register(registry);
    }

    private DistributionSummary summary(String name, String help, double[] buckets) {
        return DistributionSummary.builder(name).description(help).tags(model).serviceLevelObjectives(buckets)
                .register(registry);
    }

    private static Duration[] durations(double[] seconds) {
        Duration[] out = new Duration[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            out[i] = Duration.ofNanos(Math.round(seconds[i] * 1e9));
        }
        return out;
    }

    /**
     * One request's timestamps (System.nanoTime). Created with the request's job; the rest is written and
     * read on the decoding thread that runs it.
     */
    static final class Clock {
        final long arrived = System.nanoTime();
        long started = -1;
        long firstToken = -1;
        long lastToken = -1;
        /** When the current decoding step's first token came. */
        long stepStart = -1;
        /** The previous token was an accepted guess: the next one belongs to the same step. */
        boolean inStep;
        int tokens;
    }

    /**
     * Times each token, then passes it on. A decoding step emits its accepted guesses, then the model's own
     * token; so a token that follows a model token starts a new step. Inter-token latency is observed once
     * per step after the first, as vLLM observes it once per engine iteration however many tokens a
     * speculative step brings.
     */
    private class Timed implements TokenListener {
        private final Clock clock;
        private final TokenListener next;

        Timed(Clock clock, TokenListener next) {
            this.clock = clock;
            this.next = next;
        }

        @Override
        public void onToken(int id, String text, boolean fromGuess) {
            long now = System.nanoTime();
            if (clock.firstToken < 0) {
                clock.firstToken = now;
                clock.stepStart = now;
                firstToken.record(now - clock.arrived, TimeUnit.NANOSECONDS);
            } else if (!clock.inStep) {
                interToken.record(now - clock.stepStart, TimeUnit.NANOSECONDS);
                clock.stepStart = now;
            }
            clock.inStep = fromGuess;
            clock.lastToken = now;
            clock.tokens++;
            if (next != null) {
                next.onToken(id, text, fromGuess);
            }
        }
    }

    /** {@link Timed} for a listener that also takes the logits (logprobs). */
    private final class TimedLogits extends Timed implements LogitsListener {
        private final LogitsListener next;

        TimedLogits(Clock clock, LogitsListener next) {
            super(clock, next);
            this.next = next;
        }

        @Override
        public void onLogits(int id, float[] logits) {
            next.onLogits(id, logits);
        }
    }
}
