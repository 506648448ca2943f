package rsd.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;

/**
 * One request's answer in the shapes of OpenAI's Responses API: a {@code response} object whose
 * {@code output} is one assistant message of one {@code output_text} part, or, streaming, the typed events
 * {@code response.created}, {@code response.in_progress}, {@code response.output_item.added},
 * {@code response.content_part.added}, {@code response.output_text.delta} (one per emitted piece),
 * {@code response.output_text.done}, {@code response.content_part.done}, {@code response.output_item.done}
 * and {@code response.completed} ({@code response.incomplete} when {@code max_output_tokens} cut it short).
 * Nothing is stored: {@code store} is false.
 */
final class ResponsesApi {
    private final ResponseChannel channel;
    private final JsonNode body;
    private final GenerationSettings settings;
    private final String model;
    private final String id;
    private final String messageId;
    private final long createdAt;
    private final StringBuilder sent = new StringBuilder();
    private int sequence;

    ResponsesApi(ResponseChannel channel, JsonNode body, GenerationSettings settings, String model, String id,
                 long createdAt) {
        this.channel = channel;
        this.body = body;
        this.settings = settings;
        this.model = model;
        this.id = id;
        this.messageId = "msg_" + HexFormat.of().formatHex(randomBytes());
        this.createdAt = createdAt;
    }

    /** OpenAI's usage object of a response. */
    static ObjectNode usage(int inputTokens, int outputTokens) {
        ObjectNode u = OpenAiServer.JSON.createObjectNode();
        u.put("input_tokens", inputTokens);
        u.putObject("input_tokens_details").put("cached_tokens", 0);
        u.put("output_tokens", outputTokens);
        u.putObject("output_tokens_details").put("reasoning_tokens", 0);
        u.put("total_tokens", inputTokens + outputTokens);
        return u;
    }

    /** The finished response object (the non-streaming answer, and the last event's payload). */
    ObjectNode response(GenerationResult result, ObjectNode usage, ObjectNode rsd) {
        boolean cut = "length".equals(result.stopReason());
        ObjectNode r = skeleton(cut ? "incomplete" : "completed");
        if (cut) {
            r.putObject("incomplete_details").put("reason", "max_output_tokens");
        }
        r.withArray("output").add(message(result.text(), cut ? "incomplete" : "completed"));
        r.set("usage", usage);
        r.set("rsd", rsd);
        return r;
    }

    /** The opening events, sent before the first token. */
    synchronized void start() {
        ObjectNode inProgress = skeleton("in_progress");
        send(event("response.created").set("response", inProgress));
        send(event("response.in_progress").set("response", inProgress));
        ObjectNode added = event("response.output_item.added");
        added.put("output_index", 0);
        added.set("item", message(null, "in_progress"));
        send(added);
        send(inPart(event("response.content_part.added")).set("part", outputText("")));
    }

    /** Called on the decoding thread for every emitted piece of text. */
    synchronized void delta(String text) {
        if (text == null || text.isEmpty()) {
            return;
        }
        sent.append(text);
        ObjectNode e = inPart(event("response.output_text.delta"));
        e.put("delta", text);
        e.putArray("logprobs");
        send(e);
    }

    /** The closing events, with the text the generator still held back. */
    synchronized void finish(GenerationResult result, ObjectNode usage, ObjectNode rsd) {
        String text = result.text() == null ? "" : result.text();
        if (text.length() > sent.length() && text.startsWith(sent.toString())) {
            delta(text.substring(sent.length()));
        }
        ObjectNode response = response(result, usage, rsd);
        JsonNode item = response.get("output").get(0);
        ObjectNode textDone = inPart(event("response.output_text.done"));
        textDone.put("text", text);
        textDone.putArray("logprobs");
        send(textDone);
        send(inPart(event("response.content_part.done")).set("part", item.get("content").get(0)));
        ObjectNode itemDone = event("response.output_item.done");
        itemDone.put("output_index", 0);
        itemDone.set("item", item);
        send(itemDone);
        String last = "completed".equals(response.get("status").asText()) ? "response.completed" : "response.incomplete";
        send(event(last).set("response", response));
    }

    /** A failure after the stream began: OpenAI's {@code error} event, which ends the stream. */
    synchronized void error(ApiException e) {
        ObjectNode error = event("error");
        error.put("code", e.code != null ? e.code : e.type);
        error.put("message", e.getMessage());
        error.put("param", e.param);
        send(error);
    }

    /** A new event of this type, numbered in sending order. */
    private ObjectNode event(String type) {
        ObjectNode e = OpenAiServer.JSON.createObjectNode();
        e.put("type", type);
        e.put("sequence_number", sequence++);
        return e;
    }

    /** Where in the response an event about the text part is. */
    private ObjectNode inPart(ObjectNode e) {
        e.put("item_id", messageId);
        e.put("output_index", 0);
        e.put("content_index", 0);
        return e;
    }

    private void send(JsonNode e) {
        channel.event(e.get("type").asText(), e.toString());
    }

    private ObjectNode skeleton(String status) {
        ObjectNode r = OpenAiServer.JSON.createObjectNode();
        r.put("id", id);
        r.put("object", "response");
        r.put("created_at", createdAt);
        r.put("status", status);
        r.put("background", false);
        r.putNull("error");
        r.putNull("incomplete_details");
        r.putNull("instructions");
        JsonNode instructions = body.get("instructions");
        if (instructions != null && instructions.isTextual()) {
            r.put("instructions", instructions.asText());
        }
        JsonNode maxOutput = body.get("max_output_tokens");
        if (maxOutput == null || maxOutput.isNull()) {
            r.putNull("max_output_tokens");
        } else {
            r.put("max_output_tokens", settings.maxTokens());
        }
        r.putNull("max_tool_calls");
        r.put("model", model);
        r.putArray("output");
        r.put("parallel_tool_calls", true);
        r.putNull("previous_response_id");
        ObjectNode reasoning = r.putObject("reasoning");
        reasoning.putNull("effort");
        reasoning.putNull("summary");
        r.put("store", false);
        r.put("temperature", settings.temperature());
        r.putObject("text").putObject("format").put("type", "text");
        r.put("tool_choice", "auto");
        r.putArray("tools");
        r.put("top_p", settings.topP());
        r.put("truncation", "disabled");
        r.putNull("usage");
        JsonNode user = body.get("user");
        if (user != null && user.isTextual()) {
            r.put("user", user.asText());
        } else {
            r.putNull("user");
        }
        JsonNode metadata = body.get("metadata");
        r.set("metadata", metadata != null && metadata.isObject() ? metadata.deepCopy() : OpenAiServer.JSON.createObjectNode());
        return r;
    }

    /** The assistant message item; text null: the empty message a stream opens with. */
    private ObjectNode message(String text, String status) {
        ObjectNode m = OpenAiServer.JSON.createObjectNode();
        m.put("id", messageId);
        m.put("type", "message");
        m.put("status", status);
        m.put("role", "assistant");
        ArrayNode content = m.putArray("content");
        if (text != null) {
            content.add(outputText(text));
        }
        return m;
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = OpenAiServer.JSON.createObjectNode();
        part.put("type", "output_text");
        part.put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return part;
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        ThreadLocalRandom.current().nextBytes(b);
        return b;
    }
}
