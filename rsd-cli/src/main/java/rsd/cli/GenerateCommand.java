package rsd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.Modes;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.decode.ResultJson;
import rsd.error.RsdException;
import rsd.metrics.StepTrace;
import rsd.tokenizer.ChatFormat;

/** {@code rsd generate}: one prompt, streamed, with the tokens won by accepted guesses in green. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate a continuation of a prompt, streaming it as it is accepted.")
public final class GenerateCommand implements Callable<Integer> {
    private static final String GREEN = "\u001b[32m";
    private static final String RESET = "\u001b[0m";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    static final class PromptSource {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", required = true, description = "the prompt text")
        String text;

        @Option(names = {"-f", "--file", "--prompt-file"}, paramLabel = "FILE", required = true,
                description = "read the prompt from a UTF-8 file; - reads it from stdin")
        Path file;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptSource prompt;

    @Option(names = "--chat", description = "wrap the prompt as one user turn in the model's chat format (its "
            + "tokenizer.chat_template, else the built-in Llama 3 format)")
    boolean chat;

    @Option(names = {"-n", "--n-predict", "--max-tokens"}, paramLabel = "N", description = "most tokens to generate (default: ${DEFAULT-VALUE})")
    int maxTokens = 256;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--mode", paramLabel = "MODE", description = "standard, auto, indent, rules, lookup, patterns, draft (default: ${DEFAULT-VALUE})")
    String mode = Modes.AUTO;

    @Option(names = "--stop", paramLabel = "S", description = "stop before this text (repeatable)")
    List<String> stops = new ArrayList<>();

    @Option(names = "--json", description = "print the result as one JSON object (the last stdout line) instead of streaming")
    boolean json;

    @Option(names = "--trace", paramLabel = "PATH", description = "write every step as JSON lines")
    Path trace;

    @Option(names = "--no-color", description = "no ANSI colour (also: the NO_COLOR environment variable)")
    boolean noColor;

    private final ModelOpener opener;
    /** Tests force terminal behaviour on or off; null: detect. */
    Boolean terminalOverride;

    public GenerateCommand() {
        this(rsd.LoadedModel::open);
    }

    GenerateCommand(ModelOpener opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() throws IOException {
        validate();
        String promptText = readPrompt();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = terminalOverride != null ? terminalOverride : Terminal.interactive();
        boolean color = terminalOverride != null ? terminalOverride && !noColor : Terminal.color(noColor);
        long loadStart = System.nanoTime();
        try (Models models = new Models(modelOptions, opener)) {
            long setupStart = System.nanoTime();
            // The decoder closes its speculator (and through it a draft model's cache).
            CountingSpeculator speculator = new CountingSpeculator(Modes.create(mode, models.resources()));
            Setup setup = new Setup((setupStart - loadStart) / 1e9, (System.nanoTime() - setupStart) / 1e9);
            try (Decoder decoder = new Decoder(models.target.model(), models.target.tokenizer(), speculator, mode)) {
                int[] ids = chat ? models.target.chatTemplate().encodeDialogPrompt(
                                List.of(new ChatFormat.Message("user", promptText)))
                        : Prompts.completion(decoder.tokenizer(), promptText);
                GenerationSettings settings = sampling.settings(maxTokens, stops);
                StreamPrinter printer = json ? null : new StreamPrinter(out, err, color, terminal, speculator::drafted);
                GenerationResult result = decoder.generate(ids, settings, printer, null);
                if (printer != null) {
                    printer.finish();
                }
                if (trace != null) {
                    writeTrace(models, promptText, ids, settings, result, setup);
                }
                if (json) {
                    ObjectNode o = ResultJson.result(result, true);
                    putSpeed(result, setup, o);
                    o.put("mode", mode);
                    o.put("model", models.target.path().toString());
                    out.println(JSON.writeValueAsString(o));
                } else {
                    err.println(statsLine(result, setup));
                }
                out.flush();
                err.flush();
            }
        }
        return 0;
    }

    private void validate() {
        sampling.settings(maxTokens, stops); // checks the values before any model is loaded
        if (trace != null) {
            OutputPath.check("--trace", trace, modelOptions.model, modelOptions.draftModel,
                    prompt.file == null || prompt.file.toString().equals("-") ? null : prompt.file);
        }
    }

    private String readPrompt() {
        if (prompt.text != null) {
            return prompt.text;
        }
        try {
            if (prompt.file.toString().equals("-")) {
                return Stdin.readUtf8("--file -");
            }
            return Files.readString(prompt.file, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new RsdException("--prompt-file " + prompt.file + ": not UTF-8 text (convert it, e.g. with iconv -t UTF-8)");
        } catch (IOException e) {
            throw new RsdException("--prompt-file " + prompt.file + ": cannot read it (" + RsdException.reason(e) + ")");
        }
    }

    private void writeTrace(Models models, String promptText, int[] ids, GenerationSettings settings,
                            GenerationResult result, Setup setup) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(trace, StandardCharsets.UTF_8)) {
            ObjectNode header = JSON.createObjectNode();
            header.put("type", "header");
            header.put("model", models.target.path().toString());
            header.put("mode", mode);
            header.put("prompt", promptText);
            ArrayNode promptIds = header.putArray("prompt_ids");
            for (int id : ids) {
                promptIds.add(id);
            }
            ObjectNode s = header.putObject("settings");
            SamplingOptions.putJson(settings, s);
            ArrayNode stopArray = s.putArray("stop");
            settings.stopStrings().forEach(stopArray::add);
            s.put("gamma", modelOptions.gamma);
            s.put("draft_min", modelOptions.draftMin);
            s.put("threads", modelOptions.threads);
            s.put("ctx", modelOptions.ctx);
            s.put("chat", chat);
            if (models.draftLoaded()) {
                s.put("draft_model", models.draftPath().toString());
            }
            w.write(JSON.writeValueAsString(header));
            w.newLine();
            for (StepTrace step : result.steps()) {
                w.write(JSON.writeValueAsString(ResultJson.step(step)));
                w.newLine();
            }
            ObjectNode summary = JSON.createObjectNode();
            summary.put("type", "summary");
            summary.setAll(ResultJson.result(result, true));
            putSpeed(result, setup, summary);
            w.write(JSON.writeValueAsString(summary));
            w.newLine();
        } catch (NoSuchFileException e) {
            throw new RsdException("--trace " + trace + ": the folder does not exist");
        }
    }

    /** Seconds spent before generation starts: opening the model(s), then building the mode (a first run's cost calibration). */
    record Setup(double loadSeconds, double modeSeconds) {
    }

    static void putSpeed(GenerationResult r, Setup setup, ObjectNode o) {
        o.put("decode_seconds", r.decodeSeconds());
        o.put("decode_tokens_per_second", r.decodeTokensPerSecond());
        o.put("prefill_seconds", r.prefillSeconds());
        o.put("load_seconds", setup.loadSeconds());
        o.put("mode_setup_seconds", setup.modeSeconds());
    }

    /**
     * The decode rate first, apart from prefill; the overall rate includes prefill; loading and mode setup
     * (a first run's cost calibration) are shown separately and are in neither.
     */
    static String statsLine(GenerationResult r, Setup setup) {
        return String.format(Locale.ROOT,
                "%d tokens: decode %.2f tokens/s (%.2f s), prompt %d tokens prefilled in %.2f s, overall %.2f tokens/s; "
                        + "%d forward passes, %.3f tokens/forward, acceptance %.1f%% (%d/%d), stop: %s; "
                        + "before it: model load %.2f s, mode setup %.2f s",
                r.totalTokens(), r.decodeTokensPerSecond(), r.decodeSeconds(), r.promptTokens(), r.prefillSeconds(),
                r.tokensPerSecond(), r.forwardPasses(), r.tokensPerForward(),
                100 * r.acceptanceRate(), r.acceptedTokens(), r.draftedTokens(), r.stopReason(),
                setup.loadSeconds(), setup.modeSeconds());
    }

    /**
     * Streams text to stdout, green for tokens won by guesses. On a terminal, a status line (tokens/s,
     * acceptance = tokens won by guesses / tokens guessed so far) sits on stderr at the start of the current empty line and is erased before more text
     * is written, so it never mixes with the output, and it is never drawn when output is piped.
     */
    static final class StreamPrinter implements rsd.decode.TokenListener {
        private final PrintWriter out;
        private final PrintWriter err;
        private final boolean color;
        private final boolean status;
        private final java.util.function.LongSupplier drafted;
        /** Set at the first token: the status rate is decoding alone, as in the stats line. */
        private long start;
        private long lastStatus;
        private int tokens;
        private int guessed;
        private boolean statusShown;
        private boolean atLineStart = true;

        StreamPrinter(PrintWriter out, PrintWriter err, boolean color, boolean status, java.util.function.LongSupplier drafted) {
            this.drafted = drafted;
            this.out = out;
            this.err = err;
            this.color = color;
            this.status = status;
        }

        @Override
        public void onToken(int id, String text, boolean fromGuess) {
            if (tokens++ == 0) {
                start = System.nanoTime();
            }
            if (fromGuess) {
                guessed++;
            }
            if (!text.isEmpty()) {
                clearStatus();
                out.print(color && fromGuess ? GREEN + text + RESET : text);
                out.flush();
                atLineStart = text.endsWith("\n");
            }
            long now = System.nanoTime();
            if (status && atLineStart && now - lastStatus > 200_000_000L) {
                lastStatus = now;
                double seconds = (now - start) / 1e9;
                long guesses = drafted.getAsLong();
                err.print(String.format(Locale.ROOT, "\u001b[2m[%d tokens, %s tokens/s, acceptance %s]\u001b[0m",
                        tokens, tokens < 2 ? "-" : String.format(Locale.ROOT, "%.1f", (tokens - 1) / Math.max(seconds, 1e-9)),
                        guesses == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * guessed / guesses)));
                err.flush();
                statusShown = true;
            }
        }

        private void clearStatus() {
            if (statusShown) {
                err.print("\r\u001b[K");
                err.flush();
                statusShown = false;
            }
        }

        void finish() {
            clearStatus();
            if (!atLineStart && status) {
                // On a terminal, end the line so the stats line starts on its own; piped text stays exact.
                out.println();
            }
            out.flush();
        }
    }
}
