package rsd.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.Modes;
import rsd.draft.OutputMemory;
import rsd.error.RsdException;
import rsd.model.LlamaModel;
import rsd.server.OpenAiServer;
import rsd.server.ServerOptions;
import rsd.server.ServerPolicy;
import rsd.tokenizer.ChatTemplate;

/** {@code rsd serve}: the OpenAI-compatible HTTP API over the model. Runs until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve an OpenAI-compatible HTTP API (/v1/completions, /v1/chat/completions, /v1/models, "
                + "/health, /metrics), bound to loopback by default.")
public final class ServeCommand implements Callable<Integer> {
    /** Tried in this order when --mode is auto and the registry has no mode named auto. */
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = "--host", paramLabel = "HOST", description = "address to bind (default: ${DEFAULT-VALUE}; "
            + "anything else exposes the model without authentication)")
    String host = ServerOptions.DEFAULT_HOST;

    @Option(names = "--port", paramLabel = "PORT", description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
    int port = ServerOptions.DEFAULT_PORT;

    @Option(names = "--mode", paramLabel = "MODE", description = "decoding mode; auto = the registry's auto mode, "
            + "else the best available (default: ${DEFAULT-VALUE})")
    String mode = "auto";

    @Option(names = "--parallel", paramLabel = "N", description = "requests decoded at once, each with its own KV "
            + "cache (default: ${DEFAULT-VALUE})")
    int parallel = 1;

    @Option(names = "--queue", paramLabel = "N", description = "requests that may wait for a slot; more get HTTP 429 "
            + "(default: ${DEFAULT-VALUE})")
    int queue = 16;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "largest request body; larger gets HTTP 413 "
            + "(default: ${DEFAULT-VALUE})")
    int maxBody = ServerOptions.DEFAULT_MAX_BODY;

    @Option(names = "--request-timeout", paramLabel = "SECONDS", description = "time a client has to send a whole "
            + "request; then its connection is closed (default: ${DEFAULT-VALUE})")
    long requestTimeout = OpenAiServer.DEFAULT_REQUEST_SECONDS;

    @Option(names = "--memory-tokens", paramLabel = "N", description = "tokens of earlier answers the decode slots share "
            + "as guesses for later requests (mode auto; about 12 bytes each; 0 = none; default: ${DEFAULT-VALUE})")
    int memoryTokens = OutputMemory.DEFAULT_CAPACITY;

    @Option(names = "--allowed-host", paramLabel = "NAME", description = "a further host name clients may use in "
            + "the Host header (repeatable; loopback names and --host always work)")
    java.util.List<String> allowedHosts = new java.util.ArrayList<>();

    @Option(names = "--cors-origin", paramLabel = "ORIGIN", description = "a web origin (scheme://host[:port], or *) "
            + "whose pages may call the API (repeatable; other origins get HTTP 403)")
    java.util.List<String> corsOrigins = new java.util.ArrayList<>();

    @Option(names = "--api-key", paramLabel = "KEY", defaultValue = "${env:RSD_API_KEY}", description = "require "
            + "'Authorization: Bearer KEY' on every route but /health (default: the RSD_API_KEY variable, else none)")
    String apiKey;

    @Option(names = "--alias", paramLabel = "NAME", description = "a further model name /v1/models lists and "
            + "requests may use (repeatable)")
    java.util.List<String> aliases = new java.util.ArrayList<>();

    @Mixin
    ChatTemplateOption chatTemplate = new ChatTemplateOption();

    private final ModelOpener opener;
    /** Counted down to stop serving: by the JVM's shutdown hook (Ctrl-C), or by a test. */
    final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch closed = new CountDownLatch(1);
    /** The running server, for tests (null before it is up and after it is closed). */
    volatile OpenAiServer running;

    public ServeCommand() {
        this(LoadedModel::open);
    }

    ServeCommand(ModelOpener opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() throws InterruptedException {
        if (host == null || host.isBlank()) {
            throw new RsdException("--host must not be empty");
        }
        // Check the server's numbers before spending seconds on loading the model.
        new ServerOptions(host, port, parallel, queue, maxBody, 2, "check", 1000);
        if (memoryTokens != 0 && memoryTokens < 16) {
            throw new RsdException("--memory-tokens must be 0 (none) or at least 16, got " + memoryTokens);
        }
        ServerPolicy policy = new ServerPolicy(allowedHosts, corsOrigins, apiKey, aliases, true);
        chatTemplate.validate();
        if (requestTimeout < 1) {
            throw new RsdException("--request-timeout must be at least 1 second, got " + requestTimeout);
        }
        // read by the JDK's HTTP server when it first starts (see OpenAiServer)
        System.setProperty(OpenAiServer.MAX_REQUEST_TIME, Long.toString(requestTimeout));
        PrintWriter out = spec.commandLine().getOut();
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                closed.await(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "rsd-serve-shutdown");
        try (Models models = new Models(modelOptions, opener)) {
            ModeResources resources = models.resources()
                    .withMemory(memoryTokens == 0 ? null : new OutputMemory(memoryTokens));
            // The registry checks the name when the decoders are built (an unknown mode, draft without a draft model).
            String chosen = mode;
            int context = models.target.model().contextLength();
            if (models.target.model() instanceof LlamaModel llama) {
                llama.requireMemory(parallel, context); // each decode slot holds a session of the whole context
            }
            ServerOptions options = new ServerOptions(host, port, parallel, queue, maxBody, context,
                    modelId(models.target.path()), 1000);
            ChatTemplate chat = chatFormat(models);
            try (OpenAiServer server = OpenAiServer.start(options, policy, chat, () -> Modes.decoder(chosen, resources),
                    System.err)) {
                Runtime.getRuntime().addShutdownHook(hook);
                out.printf("rsd serve: %s, mode %s, context %d tokens, --parallel %d, --queue %d%n",
                        models.target.path(), chosen, context, parallel, queue);
                out.printf("rsd serve: chat prompts in %s%n", chat == null ? "no chat format (the vocabulary lacks "
                        + "the Llama 3 chat tokens: /v1/chat/completions is refused)" : chat.origin());
                out.printf("rsd serve: listening on %s  (OpenAI base URL; try: curl %s/models)  Ctrl-C stops%n",
                        server.baseUrl(), server.baseUrl());
                if (!server.isLoopback() && apiKey == null) {
                    spec.commandLine().getErr().println("rsd serve: warning: " + host + " is reachable from other "
                            + "machines and the API has no authentication");
                }
                out.flush();
                running = server;
                stop.await();
                running = null;
            }
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException | IllegalArgumentException e) {
                // The JVM is already shutting down (the hook is what stopped us), or it was never added.
            }
        }
        return 0;
    }

    /**
     * The chat template the server formats chats with; null when the model has none and its vocabulary
     * lacks the Llama-3 tokens too (the server then refuses chat requests, and still serves completions).
     * A template that does not parse stops the server before it starts.
     */
    private ChatTemplate chatFormat(Models models) {
        if (chatTemplate.file != null) {
            return chatTemplate.resolve(models.target);
        }
        if (!models.target.hasOwnChatTemplate()) {
            try {
                return ChatTemplate.builtIn(models.target.tokenizer());
            } catch (RsdException e) {
                return null;
            }
        }
        return models.target.chatTemplate();
    }

    /** The id clients see in /v1/models: the file name without .gguf. */
    static String modelId(Path model) {
        String name = model.getFileName().toString();
        return name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
    }
}
