package rsd.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import rsd.decode.GenerationResult;
import rsd.decode.TextGenerator;
import rsd.decode.TokenListener;
import rsd.error.RsdException;
import rsd.metrics.RuleStats;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Utf8;

/**
 * An OpenAI-compatible HTTP API over {@link TextGenerator}s, on the JDK's built-in HTTP server:
 * POST /v1/completions and /v1/chat/completions (streaming as Server-Sent Events or not), GET /v1/models,
 * /health and /metrics (Prometheus). Each request's answer carries OpenAI's {@code usage} and an extra
 * {@code rsd} object with the speculation metrics of that generation.
 *
 * <p>Requests are parsed and validated on the HTTP handler (a virtual thread), then decoded by one of
 * {@link ServerOptions#parallel()} worker threads, each owning one generator; see {@link DecodeSlots} for
 * the queue and the 429 rule. Every failure reaches the client as {@code {"error":{...}}}; stack traces go
 * to the server's log only.
 */
public final class OpenAiServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    /** The JDK server's limit, in seconds, on reading one whole request (headers and body). */
    public static final String MAX_REQUEST_TIME = "sun.net.httpserver.maxReqTime";
    public static final long DEFAULT_REQUEST_SECONDS = 30;

    static {
        // The JDK server has no such limit by default, and reads the property once, when the JVM's first
        // server starts: without it, a client that sends half a request holds its connection forever.
        if (System.getProperty(MAX_REQUEST_TIME) == null) {
            System.setProperty(MAX_REQUEST_TIME, Long.toString(DEFAULT_REQUEST_SECONDS));
        }
    }

    private final ServerOptions options;
    private final Tokenizer tokenizer;
    private final String mode;
    private final RequestParser parser;
    private final DecodeSlots slots;
    private final ServerMetrics metrics;
    private final HttpServer http;
    private final ExecutorService handlers;
    private final PrintStream log;
    private final long startedEpochSeconds = System.currentTimeMillis() / 1000;
    private final AtomicInteger inFlight = new AtomicInteger();

    private OpenAiServer(ServerOptions options, List<? extends TextGenerator> generators, PrintStream log)
            throws IOException {
        this.options = options;
        this.log = log;
        this.tokenizer = generators.get(0).tokenizer();
        this.mode = generators.get(0).mode();
        this.parser = new RequestParser(tokenizer, options.contextLength());
        this.slots = new DecodeSlots(generators, options.queue());
        this.metrics = new ServerMetrics(slots::queued, slots::active);
        this.handlers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("rsd-http-", 1).factory());
        HttpServer server;
        try {
            InetSocketAddress address = new InetSocketAddress(options.host(), options.port());
            if (address.isUnresolved()) {
                throw new IOException("unknown host");
            }
            server = HttpServer.create(address, 128);
        } catch (IOException | RuntimeException e) {
            slots.close();
            handlers.shutdown();
            throw e instanceof IOException io ? io : new IOException(String.valueOf(e.getMessage()), e);
        }
        this.http = server;
        http.createContext("/", this::handle);
        http.setExecutor(handlers);
        http.start();
    }

    /**
     * Binds and starts serving. {@code generators} is called {@code options.parallel()} times: one
     * generator per decoding slot, each used by one request at a time.
     *
     * @throws RsdException when the address cannot be bound (port in use, unknown host)
     */
    public static OpenAiServer start(ServerOptions options, Supplier<? extends TextGenerator> generators,
                                     PrintStream log) {
        List<TextGenerator> list = new ArrayList<>();
        for (int i = 0; i < options.parallel(); i++) {
            list.add(generators.get());
        }
        try {
            return new OpenAiServer(options, list, log);
        } catch (IOException e) {
            throw new RsdException("cannot listen on " + options.host() + ":" + options.port() + ": " + e.getMessage());
        }
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** The OpenAI base URL clients use, e.g. http://127.0.0.1:8080/v1. */
    public URI baseUrl() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return URI.create("http://" + host + ":" + port() + "/v1");
    }

    /** Whether the server is bound to a loopback address only (the safe default). */
    public boolean isLoopback() {
        return http.getAddress().getAddress().isLoopbackAddress();
    }

    public String mode() {
        return mode;
    }

    /** HTTP exchanges being handled right now (any route). */
    int inFlightRequests() {
        return inFlight.get();
    }

    int activeGenerations() {
        return slots.active();
    }

    int queuedGenerations() {
        return slots.queued();
    }

    ServerMetrics metrics() {
        return metrics;
    }

    /** Stops accepting, cancels running generations and waits for them (bounded). */
    @Override
    public void close() {
        slots.close();
        http.stop(0);
        handlers.shutdown();
        try {
            if (!handlers.awaitTermination(5, TimeUnit.SECONDS)) {
                handlers.shutdownNow();
            }
        } catch (InterruptedException e) {
            handlers.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ---- routing ----

    private void handle(HttpExchange exchange) {
        inFlight.incrementAndGet();
        try {
            handleCounted(exchange);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void handleCounted(HttpExchange exchange) {
        long start = System.nanoTime();
        ResponseChannel channel = new ResponseChannel(exchange);
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        String route = routeOf(path);
        int status;
        try {
            status = switch (route) {
                case "/v1/completions" -> post(exchange, method, () -> generate(exchange, channel, false));
                case "/v1/chat/completions" -> post(exchange, method, () -> generate(exchange, channel, true));
                case "/v1/models" -> get(exchange, method, () -> models(channel));
                case "/v1/models/{id}" -> get(exchange, method, () -> model(channel, path.substring("/v1/models/".length())));
                case "/health" -> get(exchange, method, () -> health(channel));
                case "/metrics" -> get(exchange, method, () -> {
                    channel.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render());
                    return 200;
                });
                default -> throw new ApiException(404, "invalid_request_error", null, "unknown_url",
                        "Invalid URL (" + method + " " + path + ")");
            };
        } catch (ApiException e) {
            status = e.status;
            if (status == 413) {
                // The rest of the oversized body is never read, so the connection cannot be reused.
                exchange.getResponseHeaders().set("Connection", "close");
            }
            sendError(channel, e);
        } catch (Throwable t) {
            status = 500;
            log.println("rsd serve: internal error on " + method + " " + path + ": " + t);
            t.printStackTrace(log);
            sendError(channel, new ApiException(500, "server_error", null, null,
                    "internal server error (" + t.getClass().getSimpleName() + "); see the server log"));
        } finally {
            channel.finish();
        }
        metrics.request(route, status, (System.nanoTime() - start) / 1e9);
    }

    private static String routeOf(String path) {
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return switch (path) {
            case "/v1/completions", "/v1/chat/completions", "/v1/models", "/health", "/metrics" -> path;
            default -> path.startsWith("/v1/models/") && path.length() > "/v1/models/".length() ? "/v1/models/{id}" : "other";
        };
    }

    private interface Route {
        int run() throws IOException;
    }

    private static int post(HttpExchange exchange, String method, Route route) throws IOException {
        return only("POST", exchange, method, route);
    }

    private static int get(HttpExchange exchange, String method, Route route) throws IOException {
        return only("GET", exchange, method, route);
    }

    private static int only(String allowed, HttpExchange exchange, String method, Route route) throws IOException {
        if (!allowed.equals(method)) {
            exchange.getResponseHeaders().set("Allow", allowed);
            throw new ApiException(405, "invalid_request_error", null, "method_not_allowed",
                    "Method " + method + " is not allowed on " + exchange.getRequestURI().getPath() + "; use " + allowed);
        }
        return route.run();
    }

    private void sendError(ResponseChannel channel, ApiException e) {
        ObjectNode error = JSON.createObjectNode();
        ObjectNode inner = error.putObject("error");
        inner.put("message", e.getMessage());
        inner.put("type", e.type);
        inner.put("param", e.param);
        inner.put("code", e.code);
        if (channel.streaming()) {
            channel.event(error.toString());
        } else {
            channel.json(e.status, bytes(error));
        }
    }

    // ---- GET routes ----

    private int models(ResponseChannel channel) {
        ObjectNode list = JSON.createObjectNode();
        list.put("object", "list");
        list.putArray("data").add(modelObject());
        channel.json(200, bytes(list));
        return 200;
    }

    private int model(ResponseChannel channel, String id) {
        if (!id.equals(options.modelId())) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + id + "' does not exist; this server serves '" + options.modelId() + "'");
        }
        channel.json(200, bytes(modelObject()));
        return 200;
    }

    private ObjectNode modelObject() {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", options.modelId());
        m.put("object", "model");
        m.put("created", startedEpochSeconds);
        m.put("owned_by", "rsd");
        m.put("context_length", options.contextLength());
        m.put("rsd_mode", mode);
        return m;
    }

    private int health(ResponseChannel channel) {
        ObjectNode h = JSON.createObjectNode();
        h.put("status", "ok");
        h.put("model", options.modelId());
        h.put("mode", mode);
        h.put("active", slots.active());
        h.put("queued", slots.queued());
        h.put("parallel", options.parallel());
        h.put("queue_capacity", options.queue());
        channel.json(200, bytes(h));
        return 200;
    }

    // ---- generation ----

    private int generate(HttpExchange exchange, ResponseChannel channel, boolean chat) throws IOException {
        JsonNode body = readJson(exchange);
        GenerationRequest request = parser.parse(body, chat);
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
        long created = System.currentTimeMillis() / 1000;
        EventStream events = request.stream() ? new EventStream(channel, chat, id, created) : null;
        TokenListener listener = events == null ? null : (tokenId, text, fromGuess) -> events.delta(text);
        DecodeSlots.Job job = new DecodeSlots.Job(request.promptIds(), request.settings(), listener, channel::broken);
        if (!slots.tryAdmit()) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            throw new ApiException(429, "rate_limit_error", null, "queue_full",
                    "The server is busy: " + options.parallel() + " requests are decoding and " + options.queue()
                            + " are queued; retry later");
        }
        if (events != null) {
            // Before the job can run: the worker's first token must find the stream open.
            channel.startEvents();
            events.start();
        }
        slots.execute(job);
        GenerationResult result;
        try {
            result = await(job, channel);
        } catch (RsdException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        if (result == null || (channel.broken() && "cancelled".equals(result.stopReason()))) {
            if (result != null) {
                metrics.generation(result);
            }
            if (channel.broken()) {
                return 499; // client closed the request (nginx's convention); nothing can be sent
            }
            throw new ApiException(503, "server_error", null, "server_shutting_down", "the server is shutting down");
        }
        metrics.generation(result);
        if ("cancelled".equals(result.stopReason())) {
            throw new ApiException(503, "server_error", null, "server_shutting_down", "the server is shutting down");
        }
        ObjectNode usage = usage(result, request.promptIds().length);
        ObjectNode rsd = rsdObject(result);
        String finish = "length".equals(result.stopReason()) ? "length" : "stop";
        if (events != null) {
            events.finish(result.text(), finish, rsd, request.includeUsage() ? usage : null);
            return 200;
        }
        ObjectNode response = JSON.createObjectNode();
        response.put("id", id);
        response.put("object", chat ? "chat.completion" : "text_completion");
        response.put("created", created);
        response.put("model", options.modelId());
        ObjectNode choice = response.putArray("choices").addObject();
        choice.put("index", 0);
        if (chat) {
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            message.put("content", result.text());
            message.putNull("refusal");
        } else {
            choice.put("text", result.text());
        }
        choice.putNull("logprobs");
        choice.put("finish_reason", finish);
        response.set("usage", usage);
        response.set("rsd", rsd);
        channel.json(200, bytes(response));
        return 200;
    }

    /**
     * Waits for the worker, writing a keep-alive whenever the response has been silent for the keep-alive
     * interval: while queued, during a long prefill, or for the whole of a non-streaming generation. A
     * failed keep-alive marks the channel broken, which cancels the job.
     */
    private GenerationResult await(DecodeSlots.Job job, ResponseChannel channel) {
        long keepAliveNanos = TimeUnit.MILLISECONDS.toNanos(options.keepAliveMillis());
        while (true) {
            try {
                long wait = Math.max(1, keepAliveNanos - channel.nanosSinceLastWrite());
                return job.result.get(wait, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                if (channel.nanosSinceLastWrite() >= keepAliveNanos && !channel.broken()) {
                    channel.keepAlive();
                }
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException re) {
                    throw re;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiException(503, "server_error", null, "server_shutting_down", "the server is shutting down");
            }
        }
    }

    private JsonNode readJson(HttpExchange exchange) throws IOException {
        int max = options.maxBodyBytes();
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > max) {
                    throw tooLarge(max);
                }
            } catch (NumberFormatException e) {
                throw ApiException.invalid(null, "invalid Content-Length header");
            }
        }
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(max + 1);
        }
        if (bytes.length > max) {
            throw tooLarge(max);
        }
        String text = Utf8.strictOrNull(bytes);
        if (text == null) {
            throw ApiException.invalid(null, "the request body is not valid UTF-8");
        }
        if (text.isBlank()) {
            throw ApiException.invalid(null, "the request body is empty; send a JSON object");
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            if (why != null && why.length() > 200) {
                why = why.substring(0, 200) + "...";
            }
            var loc = e.getLocation();
            throw ApiException.invalid(null, "the request body is not valid JSON"
                    + (loc != null ? " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")" : "")
                    + (why != null ? ": " + why : ""));
        }
    }

    private static ApiException tooLarge(int max) {
        return new ApiException(413, "invalid_request_error", null, "request_too_large",
                "the request body is larger than the server's limit of " + max + " bytes (--max-body)");
    }

    private static ObjectNode usage(GenerationResult r, int promptTokens) {
        ObjectNode u = JSON.createObjectNode();
        u.put("prompt_tokens", promptTokens);
        u.put("completion_tokens", r.totalTokens());
        u.put("total_tokens", promptTokens + r.totalTokens());
        return u;
    }

    private ObjectNode rsdObject(GenerationResult r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("mode", mode);
        o.put("forward_passes", r.forwardPasses());
        o.put("tokens_per_forward", finite(r.tokensPerForward()));
        o.put("drafted_tokens", r.draftedTokens());
        o.put("accepted_tokens", r.acceptedTokens());
        o.put("acceptance_rate", finite(r.acceptanceRate()));
        o.put("tokens_per_second", finite(r.tokensPerSecond()));
        o.put("elapsed_seconds", finite(r.elapsedSeconds()));
        o.put("stop_reason", r.stopReason());
        ObjectNode perRule = o.putObject("per_rule");
        if (r.perRule() != null) {
            for (Map.Entry<String, RuleStats> e : new java.util.TreeMap<>(r.perRule()).entrySet()) {
                ObjectNode rule = perRule.putObject(e.getKey());
                rule.put("drafted", e.getValue().drafted());
                rule.put("accepted", e.getValue().accepted());
                rule.put("acceptance_rate", finite(e.getValue().acceptanceRate()));
            }
        }
        return o;
    }

    /** JSON has no NaN or infinity; a metric undefined for an empty generation reads 0. */
    private static double finite(double v) {
        return Double.isFinite(v) ? v : 0.0;
    }

    static byte[] bytes(JsonNode node) {
        try {
            return JSON.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }

    /**
     * The chunks of one streamed response, in OpenAI's shapes: {@code text_completion} objects for
     * completions, {@code chat.completion.chunk} objects (a first chunk with the role) for chat.
     */
    private final class EventStream {
        private final ResponseChannel channel;
        private final boolean chat;
        private final String id;
        private final long created;
        private final StringBuilder sent = new StringBuilder();

        EventStream(ResponseChannel channel, boolean chat, String id, long created) {
            this.channel = channel;
            this.chat = chat;
            this.id = id;
            this.created = created;
        }

        void start() {
            if (chat) {
                ObjectNode chunk = chunk();
                ObjectNode delta = choice(chunk, null).putObject("delta");
                delta.put("role", "assistant");
                delta.put("content", "");
                channel.event(chunk.toString());
            }
        }

        /** Called on the decoding thread for every emitted token. */
        void delta(String text) {
            if (text == null || text.isEmpty()) {
                return;
            }
            sent.append(text);
            channel.event(textChunk(text, null).toString());
        }

        void finish(String fullText, String finishReason, ObjectNode rsd, ObjectNode usage) {
            // The generator may hold text back (an unfinished stop string that turned out not to be one,
            // a partial UTF-8 character) and release it only in the result: send whatever is missing.
            if (fullText != null && fullText.length() > sent.length() && fullText.startsWith(sent.toString())) {
                delta(fullText.substring(sent.length()));
            }
            ObjectNode last = chat ? chunk() : textChunk("", finishReason);
            if (chat) {
                choice(last, finishReason).putObject("delta");
            }
            last.set("rsd", rsd);
            channel.event(last.toString());
            if (usage != null) {
                ObjectNode u = chunk();
                u.putArray("choices");
                u.set("usage", usage);
                channel.event(u.toString());
            }
            channel.event("[DONE]");
        }

        private ObjectNode textChunk(String text, String finishReason) {
            ObjectNode chunk = chunk();
            ObjectNode choice = choice(chunk, finishReason);
            if (chat) {
                choice.putObject("delta").put("content", text);
            } else {
                choice.put("text", text);
            }
            return chunk;
        }

        private ObjectNode chunk() {
            ObjectNode c = JSON.createObjectNode();
            c.put("id", id);
            c.put("object", chat ? "chat.completion.chunk" : "text_completion");
            c.put("created", created);
            c.put("model", options.modelId());
            return c;
        }

        private ObjectNode choice(ObjectNode chunk, String finishReason) {
            ArrayNode choices = chunk.putArray("choices");
            ObjectNode choice = choices.addObject();
            choice.put("index", 0);
            choice.putNull("logprobs");
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            return choice;
        }
    }
}
