package rsd.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.error.RsdException;
import rsd.tokenizer.ChatFormat;
import rsd.tokenizer.ChatTemplate;
import rsd.tokenizer.Tokenizer;

/**
 * Validates the JSON body of /v1/completions and /v1/chat/completions against OpenAI's request shapes
 * and turns it into a {@link GenerationRequest}. Unknown fields are ignored, as OpenAI's own clients
 * send fields a server may not know; fields whose meaning we cannot honour (n > 1, echo, tools,
 * penalties, llama.cpp's grammar, min_p, repeat_penalty...) are refused with a 400 naming the field
 * rather than silently ignored.
 */
final class RequestParser {
    /** OpenAI's documented default for the legacy completions endpoint. */
    static final int DEFAULT_COMPLETION_MAX_TOKENS = 16;
    private static final int MAX_STOPS = 16;
    static final int MAX_LOGPROBS = 20;

    private final Tokenizer tokenizer;
    private final int contextLength;
    /** How chat prompts are formatted, or null when the model has no way (then chat is refused). */
    private final ChatTemplate chatTemplate;
    private final String noChatReason;

    /** @param chatTemplate the model's chat template; null: the built-in Llama-3 format if the vocabulary has its tokens */
    RequestParser(Tokenizer tokenizer, int contextLength, ChatTemplate chatTemplate) {
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        ChatTemplate template = chatTemplate;
        String reason = null;
        if (template == null) {
            try {
                template = ChatTemplate.builtIn(tokenizer);
            } catch (RsdException e) {
                reason = e.getMessage();
            }
        }
        this.chatTemplate = template;
        this.noChatReason = reason;
    }

    private enum Endpoint { COMPLETIONS, CHAT, RESPONSES }

    GenerationRequest parse(JsonNode body, boolean chat) {
        requireObject(body);
        refuseUnsupported(body, chat ? Endpoint.CHAT : Endpoint.COMPLETIONS);
        int[] prompt = chat ? chatPrompt(body) : completionPrompt(body);
        String maxParam = chat && present(body, "max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        return request(body, chat, prompt, chat ? "messages" : "prompt", maxParam, !chat, logprobs(body, chat));
    }

    /**
     * A Responses API request ({@code /v1/responses}): {@code input} as a string or a list of messages,
     * {@code instructions} as the system message, {@code max_output_tokens}; text in, text out. Fields
     * asking for what a stateless text generator cannot do (tools, stored conversations, reasoning,
     * structured output...) are refused, naming the field.
     */
    GenerationRequest parseResponse(JsonNode body) {
        requireObject(body);
        refuseUnsupported(body, Endpoint.RESPONSES);
        refuseUnsupportedResponseFields(body);
        List<ChatFormat.Message> dialog = new ArrayList<>();
        JsonNode instructions = body.get("instructions");
        if (instructions != null && !instructions.isNull()) {
            if (!instructions.isTextual()) {
                throw wrongType("instructions", "a string", instructions);
            }
            dialog.add(new ChatFormat.Message("system", instructions.asText()));
        }
        JsonNode input = body.get("input");
        if (input == null || input.isNull()) {
            throw ApiException.invalid("input", "'input' is required");
        }
        if (input.isTextual()) {
            dialog.add(new ChatFormat.Message("user", input.asText()));
        } else if (input.isArray()) {
            if (input.isEmpty()) {
                throw ApiException.invalid("input", "'input' must contain at least one message");
            }
            for (int i = 0; i < input.size(); i++) {
                dialog.add(inputMessage(input.get(i), "input[" + i + "]"));
            }
        } else {
            throw wrongType("input", "a string or an array of messages", input);
        }
        int[] prompt = encodeChat(dialog, "input");
        return request(body, true, prompt, "input", "max_output_tokens", false, -1);
    }

    /** Validates what all three endpoints share: room in the context, sampling, stops, streaming. */
    private GenerationRequest request(JsonNode body, boolean chat, int[] prompt, String promptParam, String maxParam,
                                      boolean shortDefault, int topLogprobs) {
        if (prompt.length == 0) {
            throw ApiException.invalid(promptParam, "the prompt is empty");
        }
        if (prompt.length >= contextLength) {
            throw ApiException.invalid(promptParam, "context_length_exceeded",
                    "This model's maximum context length is " + contextLength + " tokens, but the prompt has "
                            + prompt.length + " tokens; no room is left to generate");
        }
        int room = contextLength - prompt.length;
        Long requested = optionalLong(body, maxParam);
        int maxTokens;
        if (requested == null) {
            maxTokens = shortDefault ? Math.min(DEFAULT_COMPLETION_MAX_TOKENS, room) : room;
        } else {
            if (requested <= 0) {
                throw ApiException.invalid(maxParam, "'" + maxParam + "' must be at least 1, got " + requested);
            }
            if (requested > room) {
                throw ApiException.invalid(maxParam, "context_length_exceeded",
                        "This model's maximum context length is " + contextLength + " tokens. However, you requested "
                                + (prompt.length + requested) + " tokens (" + prompt.length + " in the prompt, "
                                + requested + " for the completion)");
            }
            maxTokens = requested.intValue();
        }
        double temperature = optionalDouble(body, "temperature", 1.0);
        if (!(temperature >= 0 && temperature <= 2)) {
            throw ApiException.invalid("temperature", "'temperature' must be between 0 and 2, got " + temperature);
        }
        double topP = optionalDouble(body, "top_p", 1.0);
        if (!(topP > 0 && topP <= 1)) {
            throw ApiException.invalid("top_p", "'top_p' must be in (0, 1], got " + topP);
        }
        Long topK = optionalLong(body, "top_k"); // llama.cpp-style extension
        if (topK != null && (topK < 0 || topK > Integer.MAX_VALUE)) {
            throw ApiException.invalid("top_k", "'top_k' must be >= 0, got " + topK);
        }
        Long seed = optionalLong(body, "seed");
        long seedValue = seed != null ? seed : ThreadLocalRandom.current().nextLong();
        List<String> stops = stops(body);
        boolean stream = optionalBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode streamOptions = body.get("stream_options");
        if (streamOptions != null && !streamOptions.isNull()) {
            if (!streamOptions.isObject()) {
                throw wrongType("stream_options", "an object", streamOptions);
            }
            includeUsage = optionalBoolean(streamOptions, "include_usage", false, "stream_options.include_usage");
        }
        GenerationSettings settings = new GenerationSettings(maxTokens, (float) temperature,
                topK == null ? 0 : topK.intValue(), (float) topP, seedValue, stops);
        return new GenerationRequest(chat, prompt, settings, stream, includeUsage, topLogprobs);
    }

    private static final Map<String, String> COMMON_UNSUPPORTED = Map.of(
            "logit_bias", "logit_bias is not supported",
            "presence_penalty", "presence_penalty is not supported (only 0)",
            "frequency_penalty", "frequency_penalty is not supported (only 0)");

    /**
     * llama.cpp's sampling extensions, with the value that means "off": a request asking for anything
     * else is refused, since decoding without it would silently give other text than the client asked for.
     */
    private static final Map<String, Double> LLAMA_CPP_NEUTRAL = Map.of(
            "min_p", 0.0, "repeat_penalty", 1.0, "typical_p", 1.0, "tfs_z", 1.0, "mirostat", 0.0,
            "dry_multiplier", 0.0, "xtc_probability", 0.0);

    /** Fields the endpoint cannot honour; the Responses API's own are checked by refuseUnsupportedResponseFields. */
    private void refuseUnsupported(JsonNode body, Endpoint endpoint) {
        for (String field : List.of("grammar", "json_schema")) {
            JsonNode v = body.get(field);
            if (v != null && !v.isNull() && !(v.isTextual() && v.asText().isEmpty()) && !(v.isObject() && v.isEmpty())) {
                throw ApiException.invalid(field, field + " (constrained decoding) is not supported");
            }
        }
        for (var e : LLAMA_CPP_NEUTRAL.entrySet()) {
            JsonNode v = body.get(e.getKey());
            if (v == null || v.isNull()) {
                continue;
            }
            if (!v.isNumber()) {
                throw wrongType(e.getKey(), "a number", v);
            }
            if (v.asDouble() != e.getValue()) {
                throw ApiException.invalid(e.getKey(), "'" + e.getKey() + "' is not supported (only "
                        + (e.getValue() == 0 ? "0" : "1") + ", which means off), got " + v);
            }
        }
        Long n = optionalLong(body, "n");
        if (n != null && n != 1) {
            throw ApiException.invalid("n", "only n=1 is supported, got " + n);
        }
        for (var e : COMMON_UNSUPPORTED.entrySet()) {
            JsonNode v = body.get(e.getKey());
            if (v == null || v.isNull() || (v.isNumber() && v.asDouble() == 0) || (v.isObject() && v.isEmpty())) {
                continue;
            }
            throw ApiException.invalid(e.getKey(), e.getValue());
        }
        if (endpoint == Endpoint.CHAT) {
            JsonNode tools = body.get("tools");
            if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())) {
                throw ApiException.invalid("tools", "tools / function calling are not supported");
            }
            JsonNode format = body.get("response_format");
            if (format != null && !format.isNull()
                    && !(format.isObject() && "text".equals(format.path("type").asText()))) {
                throw ApiException.invalid("response_format", "only response_format {\"type\":\"text\"} is supported");
            }
        } else if (endpoint == Endpoint.COMPLETIONS) {
            if (optionalBoolean(body, "echo", false)) {
                throw ApiException.invalid("echo", "echo is not supported");
            }
            Long bestOf = optionalLong(body, "best_of");
            if (bestOf != null && bestOf != 1) {
                throw ApiException.invalid("best_of", "only best_of=1 is supported, got " + bestOf);
            }
            JsonNode suffix = body.get("suffix");
            if (suffix != null && !suffix.isNull() && !(suffix.isTextual() && suffix.asText().isEmpty())) {
                throw ApiException.invalid("suffix", "suffix (fill-in-the-middle) is not supported");
            }
        }
    }

    /**
     * How many alternatives to report per token, or -1 for no logprobs: completions' {@code logprobs: N},
     * chat's {@code logprobs: true} with {@code top_logprobs: N} (OpenAI's limits: 5 and 20; 20 for both here).
     */
    private static int logprobs(JsonNode body, boolean chat) {
        if (chat) {
            boolean on = optionalBoolean(body, "logprobs", false);
            Long top = optionalLong(body, "top_logprobs");
            if (top != null && !on) {
                throw ApiException.invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true");
            }
            if (top != null && (top < 0 || top > MAX_LOGPROBS)) {
                throw ApiException.invalid("top_logprobs", "'top_logprobs' must be in 0.." + MAX_LOGPROBS + ", got " + top);
            }
            return on ? (top == null ? 0 : top.intValue()) : -1;
        }
        Long n = optionalLong(body, "logprobs");
        if (n != null && (n < 0 || n > MAX_LOGPROBS)) {
            throw ApiException.invalid("logprobs", "'logprobs' must be in 0.." + MAX_LOGPROBS + ", got " + n);
        }
        return n == null ? -1 : n.intValue();
    }

    private int[] completionPrompt(JsonNode body) {
        JsonNode p = body.get("prompt");
        if (p == null || p.isNull()) {
            throw ApiException.invalid("prompt", "'prompt' is required");
        }
        if (p.isTextual()) {
            return Prompts.completion(tokenizer, p.asText());
        }
        if (p.isArray()) {
            if (p.isEmpty()) {
                throw ApiException.invalid("prompt", "'prompt' is an empty array");
            }
            if (p.get(0).isTextual()) {
                if (p.size() != 1) {
                    throw ApiException.invalid("prompt", "only one prompt per request is supported, got " + p.size());
                }
                return Prompts.completion(tokenizer, p.get(0).asText());
            }
            if (p.get(0).isArray()) {
                if (p.size() != 1) {
                    throw ApiException.invalid("prompt", "only one prompt per request is supported, got " + p.size());
                }
                return tokenIds(p.get(0));
            }
            return tokenIds(p);
        }
        throw wrongType("prompt", "a string, an array of strings or an array of token ids", p);
    }

    /** Token-id prompts are taken verbatim: the caller chose the exact tokens, BOS included or not. */
    private int[] tokenIds(JsonNode array) {
        return tokenIds(array, tokenizer.vocabSize(), "prompt", "prompt token");
    }

    /** Every JSON endpoint takes an object as its body. */
    static void requireObject(JsonNode body) {
        if (!body.isObject()) {
            throw ApiException.invalid(null, "the request body must be a JSON object");
        }
    }

    /**
     * The ids of a JSON array of token ids, each an integer in [0, vocabSize); a bad one is a 400 naming
     * {@code param}, the element called {@code what} and its index.
     */
    static int[] tokenIds(JsonNode array, int vocabSize, String param, String what) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = array.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.asInt() < 0 || t.asInt() >= vocabSize) {
                throw ApiException.invalid(param, what + " " + i + " must be an integer token id in [0, "
                        + vocabSize + "), got " + t);
            }
            ids[i] = t.asInt();
        }
        return ids;
    }

    private int[] chatPrompt(JsonNode body) {
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw ApiException.invalid("messages", "'messages' is required");
        }
        if (!messages.isArray()) {
            throw wrongType("messages", "an array", messages);
        }
        if (messages.isEmpty()) {
            throw ApiException.invalid("messages", "'messages' must contain at least one message");
        }
        List<ChatFormat.Message> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = messages.get(i);
            if (!m.isObject()) {
                throw wrongType(where, "an object", m);
            }
            String r = role(m, where);
            list.add(new ChatFormat.Message(r, content(m.get("content"), where + ".content")));
        }
        return encodeChat(list, "messages");
    }

    private int[] encodeChat(List<ChatFormat.Message> dialog, String param) {
        if (chatTemplate == null) {
            throw ApiException.invalid(param, noChatReason + "; use /v1/completions instead");
        }
        try {
            return chatTemplate.encodeDialogPrompt(dialog);
        } catch (RsdException e) {
            // the template's raise_exception (e.g. roles out of order), or a template that fails on this dialog
            throw ApiException.invalid(param, e.getMessage());
        }
    }

    /** Fields of the Responses API beyond text in, text out, with the value that asks for nothing. */
    private static void refuseUnsupportedResponseFields(JsonNode body) {
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull() && !(tools.isArray() && tools.isEmpty())) {
            throw ApiException.invalid("tools", "tools / function calling are not supported");
        }
        JsonNode toolChoice = body.get("tool_choice");
        if (toolChoice != null && !toolChoice.isNull()
                && !(toolChoice.isTextual() && List.of("auto", "none").contains(toolChoice.asText()))) {
            throw ApiException.invalid("tool_choice", "tool_choice is not supported (only \"auto\" or \"none\", without tools)");
        }
        for (String field : List.of("previous_response_id", "conversation", "prompt", "reasoning")) {
            JsonNode v = body.get(field);
            if (v != null && !v.isNull() && !(v.isObject() && v.isEmpty())) {
                throw ApiException.invalid(field, switch (field) {
                    case "previous_response_id", "conversation" -> field + " is not supported: responses are not stored; "
                            + "send the whole conversation as 'input'";
                    case "prompt" -> "stored prompt templates ('prompt') are not supported; send 'instructions' and 'input'";
                    default -> "reasoning options are not supported";
                });
            }
        }
        if (optionalBoolean(body, "store", false)) {
            throw ApiException.invalid("store", "responses are not stored; send \"store\": false or leave it out");
        }
        if (optionalBoolean(body, "background", false)) {
            throw ApiException.invalid("background", "background responses are not supported");
        }
        JsonNode include = body.get("include");
        if (include != null && !include.isNull() && !(include.isArray() && include.isEmpty())) {
            throw ApiException.invalid("include", "'include' is not supported (nothing extra can be included)");
        }
        Long topLogprobs = optionalLong(body, "top_logprobs");
        if (topLogprobs != null && topLogprobs != 0) {
            throw ApiException.invalid("top_logprobs", "top_logprobs is not supported on /v1/responses; "
                    + "use /v1/chat/completions with logprobs");
        }
        JsonNode truncation = body.get("truncation");
        if (truncation != null && !truncation.isNull() && !"disabled".equals(truncation.asText())) {
            throw ApiException.invalid("truncation", "only truncation \"disabled\" is supported");
        }
        JsonNode text = body.get("text");
        if (text != null && !text.isNull()) {
            if (!text.isObject()) {
                throw wrongType("text", "an object", text);
            }
            var names = text.fieldNames();
            while (names.hasNext()) {
                String name = names.next();
                JsonNode v = text.get(name);
                if (name.equals("format")) {
                    if (!v.isNull() && !(v.isObject() && "text".equals(v.path("type").asText()))) {
                        throw ApiException.invalid("text.format", "only text.format {\"type\":\"text\"} is supported");
                    }
                } else if (!v.isNull()) {
                    throw ApiException.invalid("text." + name, "text." + name + " is not supported");
                }
            }
        }
        JsonNode metadata = body.get("metadata");
        if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
            throw wrongType("metadata", "an object", metadata);
        }
    }

    /** The chat-template role of message {@code m}: OpenAI's "developer" is a system message. */
    private static String role(JsonNode m, String where) {
        JsonNode role = m.get("role");
        if (role == null || !role.isTextual()) {
            throw ApiException.invalid(where + ".role", "'" + where + ".role' must be a string");
        }
        return switch (role.asText()) {
            case "system", "developer" -> "system";
            case "user" -> "user";
            case "assistant" -> "assistant";
            default -> throw ApiException.invalid(where + ".role", "unsupported role '" + role.asText()
                    + "' (supported: system, developer, user, assistant)");
        };
    }

    /** One message of a Responses {@code input} list: {@code {"role", "content"}}, optionally typed "message". */
    private static ChatFormat.Message inputMessage(JsonNode m, String where) {
        if (!m.isObject()) {
            throw wrongType(where, "an object", m);
        }
        JsonNode type = m.get("type");
        if (type != null && !type.isNull() && !"message".equals(type.asText())) {
            throw ApiException.invalid(where + ".type", "input items of type '" + type.asText()
                    + "' are not supported (only messages)");
        }
        String r = role(m, where);
        JsonNode c = m.get("content");
        String content;
        if (c == null || c.isNull()) {
            throw ApiException.invalid(where + ".content", "'" + where + ".content' is required");
        } else if (c.isTextual()) {
            content = c.asText();
        } else if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                String partType = part.path("type").asText();
                if (!part.isObject() || !(partType.equals("input_text") || partType.equals("output_text"))
                        || !part.path("text").isTextual()) {
                    throw ApiException.invalid(where + ".content[" + i + "]",
                            "only text content parts ({\"type\":\"input_text\",\"text\":...}) are supported");
                }
                sb.append(part.get("text").asText());
            }
            content = sb.toString();
        } else {
            throw wrongType(where + ".content", "a string or an array of text parts", c);
        }
        return new ChatFormat.Message(r, content);
    }

    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < c.size(); i++) {
                JsonNode part = c.get(i);
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(where + "[" + i + "]",
                            "only text content parts ({\"type\":\"text\",\"text\":...}) are supported");
                }
                sb.append(part.get("text").asText());
            }
            return sb.toString();
        }
        throw wrongType(where, "a string or an array of text parts", c);
    }

    private static List<String> stops(JsonNode body) {
        JsonNode s = body.get("stop");
        if (s == null || s.isNull()) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        if (s.isTextual()) {
            out.add(s.asText());
        } else if (s.isArray()) {
            if (s.size() > MAX_STOPS) {
                throw ApiException.invalid("stop", "at most " + MAX_STOPS + " stop sequences, got " + s.size());
            }
            for (JsonNode e : s) {
                if (!e.isTextual()) {
                    throw wrongType("stop", "a string or an array of strings", s);
                }
                out.add(e.asText());
            }
        } else {
            throw wrongType("stop", "a string or an array of strings", s);
        }
        out.removeIf(String::isEmpty);
        return List.copyOf(out);
    }

    private static boolean present(JsonNode body, String field) {
        JsonNode v = body.get(field);
        return v != null && !v.isNull();
    }

    static Long optionalLong(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.asLong();
        }
        if (v.isFloatingPointNumber() && v.canConvertToExactIntegral() && v.canConvertToLong()) {
            return v.asLong();
        }
        throw wrongType(field, "an integer", v);
    }

    private static double optionalDouble(JsonNode body, String field, double fallback) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw wrongType(field, "a number", v);
        }
        return v.asDouble();
    }

    private static boolean optionalBoolean(JsonNode body, String field, boolean fallback) {
        return optionalBoolean(body, field, fallback, field);
    }

    private static boolean optionalBoolean(JsonNode body, String field, boolean fallback, String param) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw wrongType(param, "a boolean", v);
        }
        return v.asBoolean();
    }

    private static ApiException wrongType(String param, String expected, JsonNode got) {
        String shown = got.toString();
        if (shown.length() > 60) {
            shown = shown.substring(0, 57) + "...";
        }
        return ApiException.invalid(param, "'" + param + "' must be " + expected + ", got " + shown);
    }
}
