package rsd.server;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The response side of one exchange, shared by the HTTP handler thread and the decoding worker. All
 * writes go through here, serialised, and every write is flushed to the socket so that a client that has
 * gone away shows up as a failed write: the JDK server gives no other signal of a closed connection.
 * After the first failed write the channel is {@link #broken()} and drops further output; the
 * generation polls that flag to cancel itself.
 */
final class ResponseChannel {
    private enum State { FRESH, SSE, JSON_CHUNKED, DONE }

    private static final byte[] SSE_KEEPALIVE = ": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] JSON_KEEPALIVE = {' '};

    private final HttpExchange exchange;
    /** A HEAD request: the GET answer's status and headers, no body (the JDK warns when given a length). */
    private final boolean head;
    private State state = State.FRESH;
    private OutputStream out;
    private volatile boolean broken;
    private volatile long lastWriteNanos = System.nanoTime();

    ResponseChannel(HttpExchange exchange, boolean head) {
        this.exchange = exchange;
        this.head = head;
    }

    /** A response without a body (204 to a preflight). */
    synchronized void empty(int status) {
        state = State.DONE;
        try {
            exchange.sendResponseHeaders(status, -1);
        } catch (IOException e) {
            broken = true;
        }
        exchange.close();
    }

    boolean broken() {
        return broken;
    }

    long nanosSinceLastWrite() {
        return System.nanoTime() - lastWriteNanos;
    }

    synchronized boolean committed() {
        return state != State.FRESH;
    }

    synchronized boolean streaming() {
        return state == State.SSE;
    }

    /** Sends the Server-Sent Events headers (status 200); events follow. */
    synchronized void startEvents() {
        if (state != State.FRESH) {
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        state = State.SSE;
        try {
            exchange.sendResponseHeaders(200, 0);
            out = exchange.getResponseBody();
            lastWriteNanos = System.nanoTime();
        } catch (IOException e) {
            broken = true;
        }
    }

    /** One SSE event: {@code data: <json>} and a blank line. */
    synchronized void event(String json) {
        write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /** One named SSE event: {@code event: <name>}, {@code data: <json>} and a blank line (the Responses API's form). */
    synchronized void event(String name, String json) {
        write(("event: " + name + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Writes something harmless so that a vanished client is noticed: an SSE comment on a stream, or a
     * JSON whitespace byte on a non-streaming response (which commits status 200 early: any later error
     * then travels in the body, still as an OpenAI error object).
     */
    synchronized void keepAlive() {
        if (state == State.FRESH) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            state = State.JSON_CHUNKED;
            try {
                exchange.sendResponseHeaders(200, 0);
                out = exchange.getResponseBody();
            } catch (IOException e) {
                broken = true;
                return;
            }
        }
        if (state == State.SSE) {
            write(SSE_KEEPALIVE);
        } else if (state == State.JSON_CHUNKED) {
            write(JSON_KEEPALIVE);
        }
    }

    /**
     * Sends a complete JSON body with this status, or, when status 200 was already committed by
     * {@link #keepAlive()}, appends the body to what was sent. Ends the exchange.
     */
    synchronized void json(int status, byte[] body) {
        if (state == State.FRESH) {
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            state = State.DONE;
            if (head) {
                empty(status);
                return;
            }
            try {
                exchange.sendResponseHeaders(status, body.length);
                try (OutputStream o = exchange.getResponseBody()) {
                    o.write(body);
                }
                lastWriteNanos = System.nanoTime();
            } catch (IOException e) {
                broken = true;
            }
            exchange.close();
            return;
        }
        write(body);
        finish();
    }

    /** Plain text body (metrics). */
    synchronized void text(int status, String contentType, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        state = State.DONE;
        if (head) {
            empty(status);
            return;
        }
        try {
            exchange.sendResponseHeaders(status, bytes.length);
            try (OutputStream o = exchange.getResponseBody()) {
                o.write(bytes);
            }
        } catch (IOException e) {
            broken = true;
        }
        exchange.close();
    }

    /** Ends the exchange (closes a chunked body properly when the client is still there). */
    synchronized void finish() {
        if (state == State.DONE) {
            return;
        }
        state = State.DONE;
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                broken = true;
            }
        }
        exchange.close();
    }

    private void write(byte[] bytes) {
        if (broken || out == null) {
            return;
        }
        try {
            out.write(bytes);
            out.flush();
            lastWriteNanos = System.nanoTime();
        } catch (IOException e) {
            broken = true;
        }
    }
}
