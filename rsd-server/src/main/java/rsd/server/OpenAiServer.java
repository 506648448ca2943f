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
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
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
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.decode.TextGenerator;
import rsd.decode.TokenListener;
import rsd.error.RsdException;
import rsd.metrics.RuleStats;
import rsd.tokenizer.ChatTemplate;
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
    private final ServerPolicy policy;
    private final byte[] apiKeyBytes;
    /** False until every slot has run its warm-up generation; /health answers 503 meanwhile. */
    private volatile boolean ready;
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

    private OpenAiServer(ServerOptions options, ServerPolicy policy, ChatTemplate chatTemplate,
                         List<? extends TextGenerator> generators, PrintStream log) throws IOException {
        this.options = options;
        this.policy = policy;
        this.apiKeyBytes = policy.apiKey() == null ? null : policy.apiKey().getBytes(StandardCharsets.UTF_8);
        this.log = log;
        this.tokenizer = generators.get(0).tokenizer();
        this.mode = generators.get(0).mode();
        this.parser = new RequestParser(tokenizer, options.contextLength(), chatTemplate);
        this.metrics = new ServerMetrics(options.modelId(), options.contextLength());
        this.slots = new DecodeSlots(generators, options.queue(), metrics);
        metrics.watch(slots::active, slots::queued);
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
            metrics.close();
            handlers.shutdown();
            throw e instanceof IOException io ? io : new IOException(String.valueOf(e.getMessage()), e);
        }
        this.http = server;
        http.createContext("/", this::handle);
        http.setExecutor(handlers);
        http.start();
        if (policy.warmUp()) {
            Thread.ofPlatform().daemon().name("rsd-warm-up").start(() -> warmUp(generators));
        } else {
            ready = true;
        }
    }

    /**
     * One short greedy generation per slot, all slots at once, before any request is taken: the first
     * forward passes are the slow ones (JIT compilation, first touch of the weights, KV cache allocation).
     * Requests arriving meanwhile get 503, like /health.
     */
    private void warmUp(List<? extends TextGenerator> generators) {
        int[] prompt = Prompts.completion(tokenizer, "Hello");
        GenerationSettings settings = new GenerationSettings(2, 0f, 0, 1f, 0, List.of());
        long start = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        for (TextGenerator g : generators) {
            threads.add(Thread.ofPlatform().daemon().start(() -> {
                try {
                    g.generate(prompt, settings, null, () -> false);
                } catch (RuntimeException e) {
                    log.println("rsd serve: warm-up generation failed: " + e);
                }
            }));
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
            ready = true;
            log.printf("rsd serve: warm-up of %d slot(s) took %.1f s; ready%n", generators.size(),
                    (System.nanoTime() - start) / 1e9);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Whether warm-up is over (always true without warm-up). */
    public boolean ready() {
        return ready;
    }

    /**
     * Binds and starts serving. {@code generators} is called {@code options.parallel()} times: one
     * generator per decoding slot, each used by one request at a time.
     *
     * @throws RsdException when the address cannot be bound (port in use, unknown host)
     */
    public static OpenAiServer start(ServerOptions options, Supplier<? extends TextGenerator> generators,
                                     PrintStream log) {
        return start(options, ServerPolicy.DEFAULT, generators, log);
    }

    /** As {@link #start(ServerOptions, Supplier, PrintStream)}, with access rules, aliases and warm-up. */
    public static OpenAiServer start(ServerOptions options, ServerPolicy policy,
                                     Supplier<? extends TextGenerator> generators, PrintStream log) {
        return start(options, policy, null, generators, log);
    }

    /**
     * As {@link #start(ServerOptions, ServerPolicy, Supplier, PrintStream)}, formatting chat requests with
     * {@code chatTemplate} (the model's own, or one the user chose); null: the built-in Llama-3 format.
     */
    public static OpenAiServer start(ServerOptions options, ServerPolicy policy, ChatTemplate chatTemplate,
                                     Supplier<? extends TextGenerator> generators, PrintStream log) {
        List<TextGenerator> list = new ArrayList<>();
        for (int i = 0; i < options.parallel(); i++) {
            list.add(generators.get());
        }
        try {
            return new OpenAiServer(options, policy, chatTemplate, list, log);
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
        metrics.close();
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
        String path = exchange.getRequestURI().getPath();
        String method = exchange.getRequestMethod();
        ResponseChannel channel = new ResponseChannel(exchange, "HEAD".equals(method));
        String route = routeOf(path);
        int status;
        try {
            admit(exchange, route, method);
            status = switch (route) {
                case "/v1/completions" -> post(exchange, method, () -> generate(exchange, channel, false));
                case "/v1/chat/completions" -> post(exchange, method, () -> generate(exchange, channel, true));
                case "/v1/responses" -> post(exchange, method, () -> responses(exchange, channel));
                case "/tokenize" -> post(exchange, method, () -> tokenize(exchange, channel));
                case "/detokenize" -> post(exchange, method, () -> detokenize(exchange, channel));
                case "/v1/models" -> get(exchange, method, () -> models(channel));
                case "/v1/models/{id}" -> get(exchange, method, () -> model(channel, path.substring("/v1/models/".length())));
                case "/health" -> get(exchange, method, () -> health(channel));
                case "/metrics" -> get(exchange, method, () -> {
                    ServerMetrics.Scrape scrape = metrics.scrape(exchange.getRequestHeaders().getFirst("Accept"));
                    channel.text(200, scrape.contentType(), scrape.body());
                    return 200;
                });
                default -> throw new ApiException(404, "invalid_request_error", null, "unknown_url",
                        "Invalid URL (" + method + " " + path + ")");
            };
        } catch (Preflight p) {
            status = 204;
            channel.empty(204);
        } catch (ApiException e) {
            status = e.status;
            if (status == 413 || status == 408) {
                // The rest of the body is never read, so the connection cannot be reused.
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

    /** An OPTIONS request answered with 204 and the CORS headers already set. */
    private static final class Preflight extends RuntimeException {
        Preflight() {
            super(null, null, false, false);
        }
    }

    /**
     * The checks every request passes before its route runs: a Host naming this server (a web page on a
     * DNS-rebound name cannot reach it), an allowed Origin if any (a page on another site cannot use it
     * from a visitor's browser), preflights, and the API key.
     */
    private void admit(HttpExchange exchange, String route, String method) {
        var headers = exchange.getRequestHeaders();
        String host = headers.getFirst("Host");
        if (host == null || !policy.allowsHost(hostPart(host), options.host())) {
            throw new ApiException(403, "invalid_request_error", null, "host_not_allowed",
                    "the Host header " + (host == null ? "is missing" : "'" + host + "' does not name this server")
                            + "; start the server with --allowed-host NAME to accept another name");
        }
        String origin = headers.getFirst("Origin");
        if (origin != null) {
            if (!policy.allowsOrigin(origin)) {
                throw new ApiException(403, "invalid_request_error", null, "origin_not_allowed",
                        "requests from the web origin '" + origin + "' are not allowed; start the server with "
                                + "--cors-origin " + origin + " to allow them");
            }
            var out = exchange.getResponseHeaders();
            out.set("Access-Control-Allow-Origin", origin);
            out.set("Vary", "Origin");
            out.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
            out.set("Access-Control-Allow-Methods", "GET, HEAD, POST, OPTIONS");
            out.set("Access-Control-Max-Age", "600");
        }
        if ("OPTIONS".equals(method) && !route.equals("other")) {
            exchange.getResponseHeaders().set("Allow", allowed(route) + ", OPTIONS");
            throw new Preflight();
        }
        if (apiKeyBytes != null && !route.equals("/health")) {
            String auth = headers.getFirst("Authorization");
            byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
                    ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
            if (!MessageDigest.isEqual(given, apiKeyBytes)) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
                throw new ApiException(401, "invalid_request_error", null, "invalid_api_key",
                        auth == null ? "You didn't provide an API key; send it as 'Authorization: Bearer KEY'"
                                : "Incorrect API key provided");
            }
        }
        if (!ready && !route.equals("/health") && !route.equals("/metrics") && !route.equals("other")) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            throw new ApiException(503, "server_error", null, "loading", "the server is warming up; retry shortly");
        }
    }

    /** The host of a Host header without its port: {@code [::1]:8080} is {@code [::1]}. */
    static String hostPart(String host) {
        String h = host.strip();
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    private static String routeOf(String path) {
        if (path.length() > 1 && path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return switch (path) {
            case "/v1/completions", "/v1/chat/completions", "/v1/responses", "/v1/models", "/health", "/metrics",
                 "/tokenize", "/detokenize" -> path;
            default -> path.startsWith("/v1/models/") && path.length() > "/v1/models/".length() ? "/v1/models/{id}" : "other";
        };
    }

    private interface Route {
        int run() throws IOException;
    }

    private static String allowed(String route) {
        return switch (route) {
            case "/v1/completions", "/v1/chat/completions", "/v1/responses", "/tokenize", "/detokenize" -> "POST";
            default -> "GET, HEAD";
        };
    }

    private static int post(HttpExchange exchange, String method, Route route) throws IOException {
        return only("POST".equals(method), "POST", exchange, method, route);
    }

    private static int get(HttpExchange exchange, String method, Route route) throws IOException {
        return only("GET".equals(method) || "HEAD".equals(method), "GET, HEAD", exchange, method, route);
    }

    private static int only(boolean ok, String allowed, HttpExchange exchange, String method, Route route)
            throws IOException {
        if (!ok) {
            exchange.getResponseHeaders().set("Allow", allowed + ", OPTIONS");
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
        ArrayNode data = list.putArray("data");
        for (String name : modelNames()) {
            data.add(modelObject(name));
        }
        channel.json(200, bytes(list));
        return 200;
    }

    private int model(ResponseChannel channel, String id) {
        if (!modelNames().contains(id)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + id + "' does not exist; this server serves " + String.join(", ", modelNames()));
        }
        channel.json(200, bytes(modelObject(id)));
        return 200;
    }

    /** The model's id, then its aliases: every name /v1/models lists. */
    private List<String> modelNames() {
        List<String> names = new ArrayList<>();
        names.add(options.modelId());
        for (String a : policy.aliases()) {
            if (!names.contains(a)) {
                names.add(a);
            }
        }
        return names;
    }

    /**
     * The name a response reports: the one the request used when it is the model's id or an alias. Any
     * other name is still served by the one loaded model (clients often send a fixed name such as
     * gpt-3.5-turbo); the response then reports the model's id, so the client can see what answered.
     */
    private String answeringName(JsonNode body) {
        JsonNode m = body.get("model");
        if (m != null && m.isTextual() && modelNames().contains(m.asText())) {
            return m.asText();
        }
        return options.modelId();
    }

    private ObjectNode modelObject(String name) {
        ObjectNode m = JSON.createObjectNode();
        m.put("id", name);
        m.put("object", "model");
        m.put("created", startedEpochSeconds);
        m.put("owned_by", "rsd");
        m.put("context_length", options.contextLength());
        m.put("rsd_mode", mode);
        return m;
    }

    private int health(ResponseChannel channel) {
        ObjectNode h = JSON.createObjectNode();
        int status = ready ? 200 : 503;
        h.put("status", ready ? "ok" : "loading");
        h.put("model", options.modelId());
        h.put("mode", mode);
        h.put("active", slots.active());
        h.put("queued", slots.queued());
        h.put("parallel", options.parallel());
        h.put("queue_capacity", options.queue());
        channel.json(status, bytes(h));
        return status;
    }

    // ---- generation ----

    private int generate(HttpExchange exchange, ResponseChannel channel, boolean chat) throws IOException {
        JsonNode body = readJson(exchange);
        GenerationRequest request = parser.parse(body, chat);
        String modelName = answeringName(body);
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(randomBytes());
        long created = System.currentTimeMillis() / 1000;
        EventStream events = request.stream() ? new EventStream(channel, chat, id, created, modelName) : null;
        TokenListener streaming = events == null ? null : (tokenId, text, fromGuess) -> events.delta(text);
        TokenLogprobs logprobs = request.topLogprobs() < 0 ? null : new TokenLogprobs(request.topLogprobs(), streaming);
        if (events != null) {
            events.logprobs = logprobs;
        }
        TokenListener listener = logprobs != null ? logprobs : streaming;
        GenerationResult result = decode(exchange, channel, request, listener, events == null ? null : () -> {
            channel.startEvents();
            events.start();
        });
        if (result == null) {
            return 499; // client closed the request (nginx's convention); nothing can be sent
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
        response.put("model", modelName);
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
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", chat ? TokenLogprobs.chatShape(tokenizer, logprobs.all())
                    : TokenLogprobs.completionShape(tokenizer, logprobs.all(), true, 0));
        }
        choice.put("finish_reason", finish);
        response.set("usage", usage);
        response.set("rsd", rsd);
        channel.json(200, bytes(response));
        return 200;
    }

    /**
     * Queues the request (429 when the queue is full), runs {@code onAdmitted} (which opens a stream: the
     * worker's first token must find it open), and waits for the result. Null when the client went away,
     * so nothing more can be sent; 503 when the server is shutting down.
     */
    private GenerationResult decode(HttpExchange exchange, ResponseChannel channel, GenerationRequest request,
                                    TokenListener listener, Runnable onAdmitted) {
        DecodeSlots.Job job = new DecodeSlots.Job(request.promptIds(), request.settings(), listener, channel::broken);
        if (!slots.tryAdmit()) {
            exchange.getResponseHeaders().set("Retry-After", "1");
            throw new ApiException(429, "rate_limit_error", null, "queue_full",
                    "The server is busy: " + options.parallel() + " requests are decoding and " + options.queue()
                            + " are queued; retry later");
        }
        if (onAdmitted != null) {
            onAdmitted.run();
        }
        slots.execute(job);
        GenerationResult result;
        try {
            result = await(job, channel);
        } catch (RsdException e) {
            throw ApiException.invalid(null, e.getMessage());
        }
        if (result == null || (channel.broken() && "cancelled".equals(result.stopReason()))) {
            if (channel.broken()) {
                return null;
            }
            throw new ApiException(503, "server_error", null, "server_shutting_down", "the server is shutting down");
        }
        if ("cancelled".equals(result.stopReason())) {
            throw new ApiException(503, "server_error", null, "server_shutting_down", "the server is shutting down");
        }
        return result;
    }

    /** The Responses API: text in (a string or messages), text out, streamed as its typed events or not. */
    private int responses(HttpExchange exchange, ResponseChannel channel) throws IOException {
        JsonNode body = readJson(exchange);
        GenerationRequest request = parser.parseResponse(body);
        ResponsesApi api = new ResponsesApi(channel, body, request.settings(), answeringName(body),
                "resp_" + HexFormat.of().formatHex(randomBytes()), System.currentTimeMillis() / 1000);
        TokenListener listener = request.stream() ? (tokenId, text, fromGuess) -> api.delta(text) : null;
        GenerationResult result;
        try {
            result = decode(exchange, channel, request, listener, request.stream() ? () -> {
                channel.startEvents();
                api.start();
            } : null);
        } catch (ApiException e) {
            if (!channel.streaming()) {
                throw e;
            }
            api.error(e);
            return e.status;
        }
        if (result == null) {
            return 499;
        }
        ObjectNode usage = ResponsesApi.usage(request.promptIds().length, result.totalTokens());
        if (request.stream()) {
            api.finish(result, usage, rsdObject(result));
        } else {
            channel.json(200, bytes(api.response(result, usage, rsdObject(result))));
        }
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

    private JsonNode readJson(HttpExchange exchange) {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        String media = type == null ? "" : type.split(";", 2)[0].strip();
        if (!media.equalsIgnoreCase("application/json")) {
            // Also what stops a web page's form or text/plain "simple request", which skips CORS preflights.
            throw new ApiException(415, "invalid_request_error", null, "unsupported_media_type",
                    "the request body must be sent as Content-Type: application/json"
                            + (type == null ? " (no Content-Type was given)" : ", got '" + type + "'"));
        }
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
        long readStart = System.nanoTime();
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(max + 1);
        } catch (IOException e) {
            // The JDK server closes a connection whose request outlives --request-timeout; the read then
            // fails here. A client that hung up mid-body looks the same and gets the same (unread) answer.
            log.printf("rsd serve: request body not received within %.1f s (--request-timeout): %s%n",
                    (System.nanoTime() - readStart) / 1e9, e.getMessage());
            throw new ApiException(408, "invalid_request_error", null, "request_timeout",
                    "the request body did not arrive in time (--request-timeout)");
        }
        if (bytes.length > max) {
            throw tooLarge(max);
        }
        return parseBody(bytes);
    }

    /** A request body as JSON: strict UTF-8, not blank, one JSON value; anything else is a 400. */
    static JsonNode parseBody(byte[] bytes) {
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

    /** llama.cpp's /tokenize: {"content": text, "add_special": bool, "parse_special": bool} to {"tokens": [...]}. */
    private int tokenize(HttpExchange exchange, ResponseChannel channel) {
        JsonNode body = readJson(exchange);
        RequestParser.requireObject(body);
        JsonNode content = body.get("content");
        if (content == null || !content.isTextual()) {
            throw ApiException.invalid("content", "'content' must be a string");
        }
        boolean addSpecial = flag(body, "add_special", false);
        boolean parseSpecial = flag(body, "parse_special", true);
        int[] ids = tokenizer.encode(content.asText(), parseSpecial);
        ObjectNode out = JSON.createObjectNode();
        ArrayNode tokens = out.putArray("tokens");
        if (addSpecial && tokenizer.addBos() && tokenizer.bos() >= 0) {
            tokens.add(tokenizer.bos());
        }
        for (int id : ids) {
            tokens.add(id);
        }
        channel.json(200, bytes(out));
        return 200;
    }

    /** llama.cpp's /detokenize: {"tokens": [...]} to {"content": text}. */
    private int detokenize(HttpExchange exchange, ResponseChannel channel) {
        JsonNode body = readJson(exchange);
        RequestParser.requireObject(body);
        JsonNode tokens = body.get("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw ApiException.invalid("tokens", "'tokens' must be an array of token ids");
        }
        int[] ids = RequestParser.tokenIds(tokens, tokenizer.vocabSize(), "tokens", "token");
        ObjectNode out = JSON.createObjectNode();
        out.put("content", tokenizer.decode(ids));
        channel.json(200, bytes(out));
        return 200;
    }

    private static boolean flag(JsonNode body, String field, boolean fallback) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw ApiException.invalid(field, "'" + field + "' must be a boolean, got " + v);
        }
        return v.asBoolean();
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
        private final String model;
        private final StringBuilder sent = new StringBuilder();
        /** Set when the request asked for logprobs: each chunk carries those of the tokens since the last. */
        TokenLogprobs logprobs;
        private int tokenOffset;

        EventStream(ResponseChannel channel, boolean chat, String id, long created, String model) {
            this.model = model;
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
            if (!chat && logprobs != null && last.at("/choices/0/logprobs/tokens").isEmpty()) {
                ((ObjectNode) last.at("/choices/0")).putNull("logprobs");
            }
            if (chat) {
                withLogprobs(choice(last, finishReason)).putObject("delta");
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
            withLogprobs(choice);
            return chunk;
        }

        /**
         * Puts the not yet sent tokens' logprobs on this chunk's choice. Text may be held back (a possible
         * stop string, part of a character), so a chunk's tokens need not spell its text; offsets count the
         * tokens' own strings, as in the non-streaming answer.
         */
        private ObjectNode withLogprobs(ObjectNode choice) {
            if (logprobs != null) {
                var fresh = logprobs.takeNew();
                choice.set("logprobs", chat ? TokenLogprobs.chatShape(tokenizer, fresh)
                        : TokenLogprobs.completionShape(tokenizer, fresh, true, tokenOffset));
                for (TokenLogprobs.Entry e : fresh) {
                    tokenOffset += TokenLogprobs.text(tokenizer, e.id()).length();
                }
            }
            return choice;
        }

        private ObjectNode chunk() {
            ObjectNode c = JSON.createObjectNode();
            c.put("id", id);
            c.put("object", chat ? "chat.completion.chunk" : "text_completion");
            c.put("created", created);
            c.put("model", model);
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
