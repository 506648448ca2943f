package rsd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.LoadedModel;
import rsd.error.RsdException;
import rsd.report.BenchReport;
import rsd.report.TokenView;
import rsd.report.Trace;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Utf8;

/** {@code rsd analyze}: the token view of a text or a generation trace, or the HTML report of a saved bench run. */
@Command(name = "analyze", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Show a text's tokens, a traced generation step by step, or a saved bench",
            "result, as one self-contained web page (or ANSI colours with --format ansi).",
            "  --text/--file  how the model's tokenizer cuts the text: token boundaries",
            "                 in alternating colours, whitespace made visible",
            "  --trace        a trace from `rsd generate --trace`: accepted guesses green,",
            "                 rejected ones red, a table per rule",
            "  --bench        the report of a `rsd bench --json` result, with charts"})
public final class AnalyzeCommand implements Callable<Integer> {
    /** Larger inputs make pages of tens of megabytes that browsers render slowly; nobody reads them by eye. */
    static final long MAX_TEXT_BYTES = 1 << 20;

    enum Format { html, ansi }

    static final class Input {
        @Option(names = "--text", paramLabel = "TEXT", description = "the text to tokenize")
        String text;

        @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "a UTF-8 text file to tokenize")
        Path file;

        @Option(names = "--trace", paramLabel = "TRACE.jsonl", description = "a trace written by `rsd generate --trace`")
        Path trace;

        @Option(names = "--bench", paramLabel = "BENCH.json",
                description = "a result written by `rsd bench --json`: renders the bench report (no --model needed)")
        Path bench;
    }

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL.gguf",
            description = "the model whose tokenizer to use (default: ${DEFAULT-VALUE})")
    Path model = LoadedModel.DEFAULT_MODEL;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--out", paramLabel = "REPORT.html",
            description = "where to write (default: a name derived from the input, in the current directory; "
                    + "--format ansi prints to the terminal unless --out is given)")
    Path out;

    @Option(names = "--format", paramLabel = "html|ansi", defaultValue = "html",
            description = "a web page or terminal colours (default: ${DEFAULT-VALUE})")
    Format format;

    @Option(names = "--max-colors", paramLabel = "N", defaultValue = "8",
            description = "number of alternating token colours, 2..64 (default: ${DEFAULT-VALUE})")
    int maxColors;

    @Spec
    CommandSpec spec;

    private final Function<Path, Tokenizer> tokenizerLoader;

    public AnalyzeCommand() {
        this(ModelTokenizer::load);
    }

    /** For tests: tokenizers without model files. */
    AnalyzeCommand(Function<Path, Tokenizer> tokenizerLoader) {
        this.tokenizerLoader = tokenizerLoader;
    }

    @Override
    public Integer call() {
        if (input.bench != null) {
            return bench();
        }
        if (format == Format.html || out != null) {
            checkNotAnInput(outPath());
        }
        TokenView view = view();
        if (format == Format.ansi) {
            String ansi = view.toAnsi(maxColors);
            if (out == null) {
                PrintWriter w = spec.commandLine().getOut();
                w.print(ansi);
                w.flush();
            } else {
                write(out, ansi);
                say("wrote " + out);
            }
        } else {
            Path target = outPath();
            write(target, view.toHtml(maxColors));
            say("wrote " + target.toAbsolutePath().normalize());
        }
        return 0;
    }

    private int bench() {
        if (format == Format.ansi) {
            throw new RsdException("--bench renders an HTML report only; use `rsd bench` itself for the terminal table");
        }
        Path target = outPath();
        checkNotAnInput(target);
        JsonNode json;
        requireFile(input.bench, "bench result");
        try {
            json = new ObjectMapper().readTree(input.bench.toFile());
        } catch (IOException e) {
            throw new RsdException("bench result " + input.bench + " is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (json == null || !json.isObject()) {
            throw new RsdException("bench result " + input.bench + " is not a JSON object from `rsd bench --json`");
        }
        BenchReport.write(json, target);
        say("wrote " + target.toAbsolutePath().normalize());
        return 0;
    }

    private TokenView view() {
        // Options first, so a typo is reported before the (slow) model load.
        if (maxColors < 2 || maxColors > TokenView.MAX_PALETTE) {
            throw new RsdException("--max-colors must be between 2 and " + TokenView.MAX_PALETTE + " (got " + maxColors + ")");
        }
        if (!Files.exists(model)) {
            throw new RsdException("model file " + model + " not found: pass --model MODEL.gguf (its tokenizer decides the tokens)");
        }
        Models.refuseNonFile(model, "model", "--model");
        if (input.trace != null) {
            requireFile(input.trace, "trace file");
            Trace trace = Trace.read(input.trace);
            return TokenView.ofTrace(tokenizerLoader.apply(model), trace, input.trace.getFileName().toString());
        }
        String text;
        String source;
        if (input.file != null) {
            text = readText(input.file);
            source = input.file.getFileName().toString();
        } else {
            text = input.text;
            source = "--text";
        }
        if (text.isEmpty()) {
            throw new RsdException((input.file != null ? input.file + " is empty" : "--text is empty") + ": nothing to tokenize");
        }
        if (text.getBytes(StandardCharsets.UTF_8).length > MAX_TEXT_BYTES) {
            throw new RsdException((input.file != null ? input.file.toString() : "--text") + " is larger than "
                    + (MAX_TEXT_BYTES >> 10) + " KiB; a token view of it would be too big to read, pass an excerpt");
        }
        Tokenizer tokenizer = tokenizerLoader.apply(model);
        return TokenView.ofIds(tokenizer, tokenizer.encode(text), source);
    }

    private static String readText(Path file) {
        requireFile(file, "file");
        try {
            if (Files.size(file) > MAX_TEXT_BYTES) {
                throw new RsdException(file + " is larger than " + (MAX_TEXT_BYTES >> 10)
                        + " KiB; a token view of it would be too big to read, pass an excerpt");
            }
            String text = Utf8.strictOrNull(Files.readAllBytes(file));
            if (text == null) {
                throw new RsdException(file + " is not UTF-8 text");
            }
            return text;
        } catch (IOException e) {
            throw new RsdException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static void requireFile(Path p, String what) {
        if (!Files.exists(p)) {
            throw new RsdException(what + " " + p + " does not exist");
        }
        if (!Files.isRegularFile(p)) {
            throw new RsdException(what + " " + p + " is not a regular file");
        }
    }

    /** --out, or a name derived from the input ("run.jsonl" gives "run.html") in the current directory. */
    Path outPath() {
        if (out != null) {
            return out;
        }
        Path in = input.trace != null ? input.trace : input.file != null ? input.file : input.bench;
        String ext = format == Format.ansi ? ".ansi" : ".html";
        if (in == null) {
            return Path.of("tokens" + ext);
        }
        String name = in.getFileName().toString();
        int dot = name.lastIndexOf('.');
        // A source file keeps its extension (foo.py -> foo.py.html) so foo.py and foo.txt do not collide.
        String stem = input.file != null || dot <= 0 ? name : name.substring(0, dot);
        return Path.of(stem + ext);
    }

    private void checkNotAnInput(Path target) {
        List<Path> inputs = new ArrayList<>();
        for (Path p : new Path[] {model, input.file, input.trace, input.bench}) {
            if (p != null) {
                inputs.add(p);
            }
        }
        for (Path p : inputs) {
            if (SameFile.same(p, target)) {
                throw new RsdException("refusing to write the report over the input file " + p + "; choose another --out");
            }
        }
        if (Files.isDirectory(target)) {
            throw new RsdException("--out " + target + " is a directory; give a file name");
        }
    }

    private static void write(Path target, String content) {
        try {
            Path parent = target.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new RsdException("cannot write " + target + ": directory " + parent + " does not exist");
            }
            Files.writeString(target, content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RsdException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    private void say(String line) {
        PrintWriter w = spec.commandLine().getOut();
        w.println(line);
        w.flush();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
