package rsd.tokenizer;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import rsd.error.RsdException;

/**
 * How a dialog becomes the prompt a chat model continues: the model's own Jinja chat template (GGUF
 * {@code tokenizer.chat_template}, or a file given by the user), rendered as Hugging Face's
 * {@code apply_chat_template} renders it (blocks trimmed, {@code messages}, {@code bos_token},
 * {@code eos_token}, {@code add_generation_prompt}, {@code raise_exception}, {@code strftime_now}); or,
 * for a model without one, the built-in Llama-3 format of {@link ChatFormat}. The server, {@code rsd chat}
 * and {@code rsd generate --chat} all format through this class.
 *
 * <p>The rendered text is tokenized with special-token names parsed, except inside message contents: a
 * "&lt;|eot_id|&gt;" typed in a message stays text, whatever the template does with it. (Contents reach
 * the template with the first character of every special name replaced by a private-use code, which the
 * tokenizer turns back before encoding.) A BOS token is put first when the model wants one and the
 * template did not write it.
 */
public final class ChatTemplate {
    /** The GGUF metadata key that holds a model's chat template. */
    public static final String METADATA_KEY = "tokenizer.chat_template";

    /** Starts each escaped character in message contents; the next char says which one it was. */
    private static final char ESCAPE = '\uE000';
    private static final ThreadLocal<Clock> RENDER_CLOCK = new ThreadLocal<>();

    /** Loaded on first use, so the built-in format never starts the template engine. */
    private static final class Engine {
        static final Jinjava JINJA = newJinja();
    }

    private final Tokenizer tokenizer;
    private final String origin;
    /** The Jinja source, or null for the built-in format. */
    private final String source;
    private final ChatFormat builtIn;
    private final Clock clock;
    /** ESCAPE, then every first character of a special-token name; a content char at index k becomes ESCAPE, ESCAPE+1+k. */
    private final char[] escaped;
    /** Special-token names by first character, longest first (the tokenizer's own matching order). */
    private final Map<Character, List<String>> specialsByFirstChar;

    private ChatTemplate(Tokenizer tokenizer, String origin, String source, ChatFormat builtIn, Clock clock) {
        this.tokenizer = tokenizer;
        this.origin = origin;
        this.source = source;
        this.builtIn = builtIn;
        this.clock = clock;
        Map<Character, List<String>> byFirst = new HashMap<>();
        TreeSet<Character> firsts = new TreeSet<>();
        for (String name : tokenizer.specialNames()) {
            if (!name.isEmpty()) {
                byFirst.computeIfAbsent(name.charAt(0), c -> new ArrayList<>()).add(name);
                firsts.add(name.charAt(0));
            }
        }
        byFirst.values().forEach(names -> names.sort(Comparator.comparingInt(String::length).reversed()
                .thenComparing(Comparator.naturalOrder())));
        this.specialsByFirstChar = byFirst;
        firsts.remove(ESCAPE);
        this.escaped = new char[firsts.size() + 1];
        escaped[0] = ESCAPE;
        int k = 1;
        for (char c : firsts) {
            escaped[k++] = c;
        }
    }

    /**
     * The built-in Llama-3 Instruct format, for models without a template of their own.
     *
     * @throws RsdException if the vocabulary lacks the Llama-3 chat tokens
     */
    public static ChatTemplate builtIn(Tokenizer tokenizer) {
        return new ChatTemplate(tokenizer, "the built-in Llama 3 format", null, new ChatFormat(tokenizer),
                Clock.systemDefaultZone());
    }

    /**
     * A Jinja chat template, checked now: one that does not parse is an error here, not at the first request.
     *
     * @param origin where it came from, for messages ("model.gguf's tokenizer.chat_template")
     * @throws RsdException naming the origin and the first parse error
     */
    public static ChatTemplate jinja(Tokenizer tokenizer, String source, String origin) {
        JinjavaInterpreter interpreter = Engine.JINJA.newInterpreter();
        JinjavaInterpreter.pushCurrent(interpreter);
        try {
            interpreter.parse(source);
        } catch (RuntimeException e) {
            throw new RsdException(origin + ": the chat template does not parse: " + e.getMessage());
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        refuseSyntaxErrors(interpreter.getErrorsCopy(), origin);
        ChatTemplate template = new ChatTemplate(tokenizer, origin, source, null, Clock.systemDefaultZone());
        // Jinjava parses expressions only when it evaluates them: one render of a plain dialog finds the
        // syntax errors on the common path now rather than at the first request.
        List<ChatFormat.Message> probe = List.of(new ChatFormat.Message("system", "s"),
                new ChatFormat.Message("user", "u"), new ChatFormat.Message("assistant", "a"),
                new ChatFormat.Message("user", "u"));
        RenderResult result = template.renderForResult(probe, true, false);
        refuseSyntaxErrors(result.getErrors(), origin);
        return template;
    }

    private static void refuseSyntaxErrors(List<TemplateError> errors, String origin) {
        for (TemplateError error : errors) {
            if (error.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR && raised(error) == null) {
                throw new RsdException(origin + ": the chat template does not parse: " + describe(error));
            }
        }
    }

    /**
     * The model's own template when its metadata has one ({@value #METADATA_KEY}), else the built-in format.
     *
     * @param file names the model in messages
     */
    public static ChatTemplate forModel(Tokenizer tokenizer, Map<String, Object> metadata, String file) {
        Object value = metadata.get(METADATA_KEY);
        if (value instanceof String s && !s.isBlank()) {
            return jinja(tokenizer, s, file + ": " + METADATA_KEY);
        }
        if (value != null && !(value instanceof String)) {
            throw new RsdException(file + ": " + METADATA_KEY + " should be a string but is "
                    + value.getClass().getSimpleName());
        }
        return builtIn(tokenizer);
    }

    /**
     * A Jinja template read from a file (UTF-8), e.g. one of Hugging Face's {@code .jinja} files.
     *
     * @throws RsdException if the file cannot be read or does not parse
     */
    public static ChatTemplate fromFile(Tokenizer tokenizer, Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RsdException("chat template " + file + ": " + RsdException.reason(e));
        }
        if (text.isBlank()) {
            throw new RsdException("chat template " + file + ": the file is empty");
        }
        return jinja(tokenizer, text, "chat template " + file);
    }

    /** The same template, with {@code strftime_now} reading this clock (tests pin the date). */
    ChatTemplate withClock(Clock newClock) {
        return new ChatTemplate(tokenizer, origin, source, builtIn, newClock);
    }

    /** Where the template came from, in words. */
    public String origin() {
        return origin;
    }

    /** Whether this is the built-in Llama-3 format rather than a Jinja template. */
    public boolean isBuiltIn() {
        return source == null;
    }

    /**
     * The prompt text, as the template writes it (message contents as given).
     *
     * @throws RsdException when the template raises an error for this dialog (its message) or fails
     */
    public String render(List<ChatFormat.Message> dialog, boolean addGenerationPrompt) {
        if (source == null) {
            if (!addGenerationPrompt) {
                throw new IllegalArgumentException("the built-in format always ends with the assistant header");
            }
            return tokenizer.decode(builtIn.encodeDialogPrompt(dialog));
        }
        return renderJinja(dialog, addGenerationPrompt, false);
    }

    /**
     * The token ids of the dialog followed by the opening of the assistant's turn.
     *
     * @throws RsdException when the template raises an error for this dialog (its message) or fails
     */
    public int[] encodeDialogPrompt(List<ChatFormat.Message> dialog) {
        if (source == null) {
            return builtIn.encodeDialogPrompt(dialog);
        }
        String text = renderJinja(dialog, true, true);
        IntList out = new IntList(text.length() / 3 + 8);
        int segment = 0;
        for (int i = 0; i < text.length(); i++) {
            List<String> names = specialsByFirstChar.get(text.charAt(i));
            if (names == null) {
                continue;
            }
            for (String name : names) {
                if (text.startsWith(name, i)) {
                    out.addAll(tokenizer.encode(unescape(text.substring(segment, i))));
                    out.addAll(tokenizer.encode(name, true));
                    segment = i + name.length();
                    i = segment - 1;
                    break;
                }
            }
        }
        out.addAll(tokenizer.encode(unescape(text.substring(segment))));
        int[] ids = out.toArray();
        int bos = tokenizer.bos();
        if (tokenizer.addBos() && bos >= 0 && (ids.length == 0 || ids[0] != bos)) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bos;
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            return withBos;
        }
        return ids;
    }

    private String renderJinja(List<ChatFormat.Message> dialog, boolean addGenerationPrompt, boolean escape) {
        RenderResult result = renderForResult(dialog, addGenerationPrompt, escape);
        for (TemplateError error : result.getErrors()) {
            Raised raised = raised(error);
            if (raised != null) {
                throw new RsdException(raised.getMessage());
            }
            if (error.getSeverity() == TemplateError.ErrorType.FATAL
                    || error.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR) {
                throw new RsdException(origin + ": the chat template failed: " + describe(error));
            }
        }
        return result.getOutput();
    }

    private RenderResult renderForResult(List<ChatFormat.Message> dialog, boolean addGenerationPrompt, boolean escape) {
        List<Map<String, Object>> messages = new ArrayList<>(dialog.size());
        for (ChatFormat.Message m : dialog) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            message.put("content", escape ? escape(m.content()) : m.content());
            messages.add(message);
        }
        Map<String, Object> bindings = new HashMap<>();
        bindings.put("messages", messages);
        bindings.put("add_generation_prompt", addGenerationPrompt);
        bindings.put("bos_token", tokenizer.bos() >= 0 ? tokenizer.piece(tokenizer.bos()) : "");
        bindings.put("eos_token", tokenizer.eos() >= 0 ? tokenizer.piece(tokenizer.eos()) : "");
        // Templates ask "strftime_now is defined" before calling it (Llama 3.2's date line).
        bindings.put("strftime_now", true);
        RENDER_CLOCK.set(clock);
        try {
            return Engine.JINJA.renderForResult(source, bindings);
        } catch (RuntimeException e) {
            throw new RsdException(origin + ": the chat template failed: " + e.getMessage());
        } finally {
            RENDER_CLOCK.remove();
        }
    }

    private String escape(String content) {
        StringBuilder sb = null;
        for (int i = 0; i < content.length(); i++) {
            char c = content.charAt(i);
            int k = escapeIndex(c);
            if (k >= 0 && sb == null) {
                sb = new StringBuilder(content.length() + 16).append(content, 0, i);
            }
            if (sb != null) {
                if (k >= 0) {
                    sb.append(ESCAPE).append((char) (ESCAPE + 1 + k));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? content : sb.toString();
    }

    private int escapeIndex(char c) {
        for (int k = 0; k < escaped.length; k++) {
            if (escaped[k] == c) {
                return k;
            }
        }
        return -1;
    }

    private String unescape(String text) {
        if (text.indexOf(ESCAPE) < 0) {
            return text;
        }
        StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ESCAPE && i + 1 < text.length()) {
                int k = text.charAt(i + 1) - ESCAPE - 1;
                if (k >= 0 && k < escaped.length) {
                    sb.append(escaped[k]);
                    i++;
                    continue;
                }
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** The template's own raise_exception behind an error, or null. */
    private static Raised raised(TemplateError error) {
        for (Throwable t = error.getException(); t != null; t = t.getCause()) {
            if (t instanceof Raised raised) {
                return raised;
            }
        }
        return null;
    }

    private static String describe(TemplateError error) {
        String message = error.getMessage() == null ? String.valueOf(error.getReason()) : error.getMessage();
        return error.getLineno() > 0 ? message + " (line " + error.getLineno() + ")" : message;
    }

    private static Jinjava newJinja() {
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Python Jinja's semantics where Jinjava's defaults differ ({{- trimming, operator
                // precedence, iterating a dict...); not whitespaceRequiredWithinTokens, which rejects "{{-x".
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUsePyishObjectMapper(true)
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withAllowAdjacentTextNodes(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .withMaxOutputSize(64L << 20)
                .build();
        Jinjava jinja = new Jinjava(config);
        jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                Functions.class, "raiseException", Object.class));
        jinja.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                Functions.class, "strftimeNow", String.class));
        return jinja;
    }

    /** Python's strftime directives that chat templates use, in the C locale. */
    static String strftime(String format, ZonedDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'd' -> sb.append(String.format(Locale.ROOT, "%02d", t.getDayOfMonth()));
                case 'e' -> sb.append(String.format(Locale.ROOT, "%2d", t.getDayOfMonth()));
                case 'm' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMonthValue()));
                case 'Y' -> sb.append(t.getYear());
                case 'y' -> sb.append(String.format(Locale.ROOT, "%02d", t.getYear() % 100));
                case 'b', 'h' -> sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'B' -> sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'a' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH));
                case 'A' -> sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH));
                case 'H' -> sb.append(String.format(Locale.ROOT, "%02d", t.getHour()));
                case 'I' -> sb.append(String.format(Locale.ROOT, "%02d", (t.getHour() + 11) % 12 + 1));
                case 'p' -> sb.append(t.getHour() < 12 ? "AM" : "PM");
                case 'M' -> sb.append(String.format(Locale.ROOT, "%02d", t.getMinute()));
                case 'S' -> sb.append(String.format(Locale.ROOT, "%02d", t.getSecond()));
                case 'j' -> sb.append(String.format(Locale.ROOT, "%03d", t.getDayOfYear()));
                case '%' -> sb.append('%');
                default -> sb.append('%').append(d);
            }
        }
        return sb.toString();
    }

    /** The functions templates call; Jinjava calls them by reflection. */
    static final class Functions {
        private Functions() {
        }

        /** The template's {@code raise_exception(message)}: the dialog is refused with that message. */
        public static Object raiseException(Object message) {
            throw new Raised(String.valueOf(message));
        }

        /** The template's {@code strftime_now(format)}: now, in Python's strftime format. */
        public static String strftimeNow(String format) {
            Clock c = RENDER_CLOCK.get();
            return strftime(format, ZonedDateTime.now(c != null ? c : Clock.systemDefaultZone()));
        }
    }

    /** What {@code raise_exception} throws through the template engine. */
    private static final class Raised extends RuntimeException {
        Raised(String message) {
            super(message, null, false, false);
        }
    }
}
