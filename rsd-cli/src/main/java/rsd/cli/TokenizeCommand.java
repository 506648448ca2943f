package rsd.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.error.RsdException;
import rsd.gguf.GgufFile;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Tokenizers;
import rsd.tokenizer.Utf8;

/**
 * {@code rsd tokenize}: shows how the model's tokenizer cuts text, or measures its encoding speed.
 * Only the GGUF metadata is read, so a vocabulary-only GGUF works.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = "Show the token ids and pieces of a text (no BOS added, nothing trimmed), or measure encoding speed.")
public final class TokenizeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF file (a vocabulary-only GGUF is enough; default: ${DEFAULT-VALUE}).")
    Path model = rsd.LoadedModel.DEFAULT_MODEL;

    static final class Input {
        @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "The text to tokenize.")
        String prompt;

        @Option(names = {"-f", "--file"}, paramLabel = "PATH", description = "Tokenize this UTF-8 file, exactly as it is; - reads stdin.")
        Path file;

        @Option(names = "--bench", paramLabel = "DIR",
                description = "Measure encoding MB/s over every file with the --ext suffix under DIR.")
        Path benchDir;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = "--special", description = "Turn special token names in the text (e.g. <|eot_id|>) into those tokens.")
    boolean special;

    @Option(names = "--json", description = "Print {\"ids\": [...], \"pieces\": [...]} as the last line.")
    boolean json;

    @Option(names = "--ext", defaultValue = ".py", paramLabel = "SUFFIX", description = "File suffix for --bench (default: ${DEFAULT-VALUE}).")
    String ext;

    @Option(names = "--repeat", defaultValue = "3", paramLabel = "N", description = "Passes over the corpus for --bench (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Models.requireModelFile(model, "model", "--model");
        long t0 = System.nanoTime();
        Tokenizer tokenizer = load(model);
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        if (input.benchDir != null) {
            bench(tokenizer, loadSeconds, out);
            out.flush();
            return 0;
        }
        String text = input.prompt != null ? input.prompt : readUtf8(input.file);
        int[] ids = tokenizer.encode(text, special);
        if (json) {
            out.println(toJson(tokenizer, ids));
        } else {
            printTable(tokenizer, ids, text, out);
        }
        out.flush();
        return 0;
    }

    static Tokenizer load(Path model) {
        try (GgufFile g = GgufFile.open(model)) {
            return Tokenizers.fromMetadata(g.metadata(), model.toString());
        }
    }

    static String readUtf8(Path file) {
        if (file.toString().equals("-")) {
            return Stdin.readUtf8("--file -");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new RsdException(file + ": no such file");
        } catch (IOException e) {
            throw new RsdException(file + ": cannot read (" + e.getMessage() + ")");
        }
        String text = Utf8.strictOrNull(bytes);
        if (text == null) {
            throw new RsdException(file + ": not valid UTF-8 text");
        }
        return text;
    }

    /** One line; non-ASCII escaped so the line survives any console encoding. */
    static String toJson(Tokenizer t, int[] ids) {
        List<String> pieces = new ArrayList<>(ids.length);
        for (int id : ids) {
            pieces.add(t.piece(id));
        }
        Map<String, Object> obj = new LinkedHashMap<>();
        obj.put("ids", ids);
        obj.put("pieces", pieces);
        ObjectMapper mapper = JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();
        try {
            StringWriter sw = new StringWriter();
            try (JsonGenerator g = mapper.createGenerator(sw)) {
                mapper.writeValue(g, obj);
            }
            return sw.toString();
        } catch (IOException e) {
            throw new IllegalStateException(e); // writing to a StringWriter does not fail
        }
    }

    /** Whitespace made visible: space ·, newline ↵, tab →, carriage return ␍, other controls \xNN. */
    static String visible(String piece) {
        StringBuilder sb = new StringBuilder();
        piece.codePoints().forEach(c -> {
            switch (c) {
                case ' ' -> sb.append('\u00B7');
                case '\n' -> sb.append('\u21B5');
                case '\t' -> sb.append('\u2192');
                case '\r' -> sb.append('\u240D');
                default -> {
                    if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0)) {
                        sb.append(String.format("\\x%02x", c));
                    } else {
                        sb.appendCodePoint(c);
                    }
                }
            }
        });
        return sb.toString();
    }

    /** Like {@link #visible}, but a token that is not whole UTF-8 shows its bytes as hex, e.g. ·<f0><9f>. */
    static String visiblePiece(Tokenizer t, int id) {
        byte[] b = t.tokenBytes(id);
        String text = Utf8.strictOrNull(b);
        if (text != null) {
            return visible(text);
        }
        StringBuilder sb = new StringBuilder();
        for (byte x : b) {
            int v = x & 0xFF;
            sb.append(v < 0x80 ? visible(String.valueOf((char) v)) : String.format("<%02x>", v));
        }
        return sb.toString();
    }

    private static void printTable(Tokenizer t, int[] ids, String text, PrintWriter out) {
        out.printf("%6s  %7s  %s%n", "#", "id", "piece   (\u00B7 space, \u21B5 newline, \u2192 tab)");
        for (int i = 0; i < ids.length; i++) {
            String mark = t.isSpecial(ids[i]) ? "   [special]" : "";
            out.printf("%6d  %7d  %s%s%n", i, ids[i], visiblePiece(t, ids[i]), mark);
        }
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        out.printf("%d tokens, %d chars, %d bytes%s%n", ids.length, text.length(), bytes,
                ids.length > 0 ? String.format(", %.2f bytes/token", (double) bytes / ids.length) : "");
    }

    private void bench(Tokenizer t, double loadSeconds, PrintWriter out) {
        if (!Files.isDirectory(input.benchDir)) {
            throw new RsdException(input.benchDir + ": not a directory");
        }
        if (repeat < 1) {
            throw new RsdException("--repeat must be at least 1, not " + repeat);
        }
        List<String> docs = new ArrayList<>();
        long bytes = 0;
        int skipped = 0;
        List<Path> files;
        try (Stream<Path> s = Files.walk(input.benchDir)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(ext) && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new RsdException(input.benchDir + ": cannot list (" + e.getMessage() + ")");
        }
        for (Path p : files) {
            byte[] b;
            try {
                b = Files.readAllBytes(p);
            } catch (IOException e) {
                skipped++;
                continue;
            }
            String text = Utf8.strictOrNull(b);
            if (text == null) {
                skipped++;
                continue;
            }
            docs.add(text);
            bytes += b.length;
        }
        if (docs.isEmpty()) {
            throw new RsdException(input.benchDir + ": no readable UTF-8 files ending in " + ext);
        }
        out.printf("corpus %s: %d files ending in %s (%d skipped: unreadable or not UTF-8), %.2f MB; tokenizer loaded in %.2f s%n",
                input.benchDir, docs.size(), ext, skipped, bytes / 1e6, loadSeconds);
        double[] rates = new double[repeat];
        double[] cpuRates = new double[repeat];
        // CPU time of this thread as well as wall time: on a shared machine the wall clock mostly measures
        // the other jobs, while CPU seconds measure the tokenizer.
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int pass = 0; pass < repeat; pass++) {
            long tokens = 0;
            long t0 = System.nanoTime();
            long c0 = cpu.getCurrentThreadCpuTime();
            for (String d : docs) {
                tokens += t.encode(d, special).length;
            }
            double s = (System.nanoTime() - t0) / 1e9;
            double c = (cpu.getCurrentThreadCpuTime() - c0) / 1e9;
            rates[pass] = bytes / 1e6 / s;
            cpuRates[pass] = bytes / 1e6 / c;
            out.printf("pass %d: %d tokens in %.2f s = %.1f MB/s (%.1f MB per CPU second), %.0f tokens/s, %.2f bytes/token%s%n",
                    pass + 1, tokens, s, rates[pass], cpuRates[pass], tokens / s, (double) bytes / tokens,
                    pass == 0 ? " (cold: empty cache, JIT warming up)" : "");
        }
        out.printf("encoding speed: median %.1f MB/s, best %.1f MB/s wall; median %.1f MB per CPU second; %d passes, one thread%n",
                median(rates), Arrays.stream(rates).max().orElse(0), median(cpuRates), repeat);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
