package rsd.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.Modes;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.error.RsdException;
import rsd.tokenizer.ChatFormat;
import rsd.tokenizer.ChatTemplate;

/**
 * {@code rsd chat}: a conversation in the model's chat format (its {@code tokenizer.chat_template}, a
 * {@code --chat-template} file, or the built-in Llama-3 format). Each line read from stdin is a user turn;
 * the answer streams as it is accepted, and the whole history (system prompt, every turn) is the next
 * prompt. {@code /exit}, {@code /quit} or the end of input ends it.
 */
@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a chat model: each line typed is a user turn, the answer streams as it is accepted.",
            "The conversation so far is the next prompt (the oldest turns are dropped when it no longer fits the context). "
                + "/exit, /quit or end of input (Ctrl-D) ends the chat.",
            "Prompts use the model's chat template (GGUF tokenizer.chat_template), else the built-in Llama 3 format."})
public final class ChatCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = {"--system", "--system-prompt"}, paramLabel = "TEXT", description = "the system prompt, before every turn")
    String system;

    @Option(names = {"-n", "--n-predict", "--max-tokens"}, paramLabel = "N", description = "most tokens per answer (default: ${DEFAULT-VALUE})")
    int maxTokens = 512;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Mixin
    ChatTemplateOption chatTemplate = new ChatTemplateOption();

    @Option(names = "--mode", paramLabel = "MODE", description = "decoding mode, as for generate (default: ${DEFAULT-VALUE})")
    String mode = Modes.AUTO;

    @Option(names = "--no-color", description = "no ANSI colour (also: the NO_COLOR environment variable)")
    boolean noColor;

    private final ModelOpener opener;
    /** Tests force terminal behaviour on or off; null: detect. */
    Boolean terminalOverride;

    public ChatCommand() {
        this(rsd.LoadedModel::open);
    }

    ChatCommand(ModelOpener opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() throws IOException {
        validate();
        GenerationSettings settings = sampling.settings(maxTokens, List.of());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = terminalOverride != null ? terminalOverride : Terminal.interactive();
        boolean color = terminalOverride != null ? terminalOverride && !noColor : Terminal.color(noColor);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (Models models = new Models(modelOptions, opener)) {
            // refuses a template that does not parse, or a model with none and without the Llama-3 chat tokens
            ChatTemplate format = chatTemplate.resolve(models.target);
            int context = models.target.model().contextLength();
            CountingSpeculator speculator = new CountingSpeculator(Modes.create(mode, models.resources()));
            try (Decoder decoder = new Decoder(models.target.model(), models.target.tokenizer(), speculator, mode)) {
                List<ChatFormat.Message> history = new ArrayList<>();
                if (terminal) {
                    err.println("rsd chat: " + models.target.path().getFileName() + ", mode " + mode + "; /exit ends");
                    err.flush();
                }
                while (true) {
                    if (terminal) {
                        out.print("> ");
                        out.flush();
                    }
                    String line = in.readLine();
                    if (line == null) {
                        break;
                    }
                    String text = line.strip();
                    if (text.isEmpty()) {
                        continue;
                    }
                    if (text.equals("/exit") || text.equals("/quit")) {
                        break;
                    }
                    if (text.startsWith("/")) {
                        err.println("rsd chat: unknown command " + text + " (/exit ends the chat)");
                        err.flush();
                        continue;
                    }
                    history.add(new ChatFormat.Message("user", text));
                    int[] ids = fit(format, history, context, err);
                    if (ids == null) {
                        history.removeLast();
                        continue;
                    }
                    GenerateCommand.StreamPrinter printer =
                            new GenerateCommand.StreamPrinter(out, err, color, terminal, speculator::drafted);
                    GenerationResult r = decoder.generate(ids, settings, printer, null);
                    printer.finish();
                    if (!terminal && !r.text().endsWith("\n")) {
                        out.println(); // the printer ends the line itself on a terminal
                    }
                    out.flush();
                    if (terminal) {
                        err.printf(Locale.ROOT, "\u001b[2m[%d tokens, decode %.1f tokens/s, %.3f tokens/forward]\u001b[0m%n",
                                r.totalTokens(), r.decodeTokensPerSecond(), r.tokensPerForward());
                        err.flush();
                    }
                    history.add(new ChatFormat.Message("assistant", r.text()));
                }
            }
        }
        return 0;
    }

    /**
     * The dialog prompt with room for an answer: the oldest turns go first when it does not fit the
     * context; null (and a line on stderr) when even the newest message alone does not.
     */
    private int[] fit(ChatTemplate format, List<ChatFormat.Message> history, int context, PrintWriter err) {
        int room = Math.min(maxTokens, context / 2);
        boolean trimmed = false;
        while (true) {
            List<ChatFormat.Message> dialog = new ArrayList<>();
            if (system != null && !system.isBlank()) {
                dialog.add(new ChatFormat.Message("system", system));
            }
            dialog.addAll(history);
            int[] ids = format.encodeDialogPrompt(dialog);
            if (ids.length + room <= context) {
                if (trimmed) {
                    err.println("rsd chat: the oldest turns were dropped to fit the " + context + "-token context");
                    err.flush();
                }
                return ids;
            }
            if (history.size() <= 1) {
                err.println("rsd chat: that message is " + ids.length + " tokens with the system prompt; the "
                        + context + "-token context has no room for it and an answer (-c/--ctx-size raises the cap)");
                err.flush();
                return null;
            }
            history.removeFirst();
            if (!history.isEmpty() && history.getFirst().role().equals("assistant")) {
                history.removeFirst();
            }
            trimmed = true;
        }
    }

    /** Checks option values before any model is loaded: a bad one is a one-line user error. */
    void validate() {
        if (maxTokens < 1) {
            throw new RsdException("--max-tokens must be >= 1, got " + maxTokens);
        }
        chatTemplate.validate();
    }
}
