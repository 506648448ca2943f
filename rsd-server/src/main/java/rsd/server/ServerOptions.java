package rsd.server;

import rsd.error.RsdException;

/**
 * How the server listens and how much it takes on.
 *
 * @param host            interface to bind; loopback by default so a model is never exposed by accident
 * @param port            0 picks a free port
 * @param parallel        requests decoded at once (one generator, hence one KV cache, each)
 * @param queue           further requests that may wait for a slot; beyond that, 429
 * @param maxBodyBytes    largest request body accepted (413 beyond)
 * @param contextLength   the model's context (after any --ctx cap): prompt + max_tokens must fit
 * @param modelId         the name /v1/models reports and responses echo
 * @param keepAliveMillis how long a response may stay silent before the server writes a keep-alive
 *                        (which is also how a vanished client is detected)
 */
public record ServerOptions(String host, int port, int parallel, int queue, int maxBodyBytes, int contextLength,
                            String modelId, long keepAliveMillis) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    public static final int DEFAULT_MAX_BODY = 1 << 20;

    public ServerOptions {
        if (port < 0 || port > 65535) {
            throw new RsdException("--port must be in 0..65535, got " + port);
        }
        if (parallel < 1) {
            throw new RsdException("--parallel must be at least 1, got " + parallel);
        }
        if (queue < 0) {
            throw new RsdException("--queue must be >= 0, got " + queue);
        }
        if (maxBodyBytes < 64) {
            throw new RsdException("--max-body must be at least 64 bytes, got " + maxBodyBytes);
        }
        if (contextLength < 2) {
            throw new RsdException("the context length must be at least 2, got " + contextLength);
        }
        if (keepAliveMillis < 1) {
            throw new RsdException("keep-alive interval must be positive, got " + keepAliveMillis);
        }
    }
}
