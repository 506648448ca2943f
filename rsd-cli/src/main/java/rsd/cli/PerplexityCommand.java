package rsd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.LoadedModel;
import rsd.error.RsdException;
import rsd.model.Session;
import rsd.tokenizer.Utf8;

/**
 * {@code rsd perplexity}: how well a model predicts held-out text. Each file is tokenized (BOS first when
 * the model wants it) and scored in non-overlapping windows of the context; every position after the
 * first of a window counts once.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Mean loss, perplexity and top-1 next-token accuracy of a model on files.")
public final class PerplexityCommand implements Callable<Integer> {
    /** Tokens per forward call: one batched pass, logits of every position. */
    private static final int CHUNK = 32;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model (default: ${DEFAULT-VALUE})")
    Path model = LoadedModel.DEFAULT_MODEL;

    static final class Source {
        @Option(names = {"-f", "--file"}, paramLabel = "FILE", required = true, description = "one text file")
        Path file;

        @Option(names = "--dir", paramLabel = "DIR", required = true, description = "every matching file under DIR")
        Path dir;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--ext", paramLabel = "EXT", split = ",",
            description = "file name endings taken from --dir (default: ${DEFAULT-VALUE})")
    List<String> extensions = List.of(".py");

    @Option(names = "--window", paramLabel = "N", description = "tokens per scored window, at most the context (default: ${DEFAULT-VALUE})")
    int window = 512;

    @Option(names = "--max-tokens", paramLabel = "N", description = "stop after scoring N tokens, 0 = all (default: ${DEFAULT-VALUE})")
    long maxTokens = 0;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = "--json", description = "print the result as one JSON object on the last stdout line")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (window < 2) {
            throw new RsdException("--window must be at least 2, got " + window);
        }
        Models.requireModelFile(model, "model", "--model");
        List<Path> files = listFiles();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (LoadedModel lm = LoadedModel.open(model, threads, 0)) {
            int win = Math.min(window, lm.model().contextLength());
            Score score = new Score();
            Progress progress = new Progress(err, files.size());
            try (Session session = lm.model().newSession(win)) {
                for (Path f : files) {
                    if (maxTokens > 0 && score.tokens >= maxTokens) {
                        break;
                    }
                    int[] ids = encode(lm, f);
                    for (int start = 0; start + 1 < ids.length; start += win) {
                        int end = Math.min(ids.length, start + win);
                        scoreWindow(session, ids, start, end, score);
                        if (maxTokens > 0 && score.tokens >= maxTokens) {
                            break;
                        }
                    }
                    progress.fileDone(score);
                }
            }
            progress.finish();
            if (score.tokens == 0) {
                throw new RsdException("nothing to score: the input has fewer than 2 tokens");
            }
            double loss = score.lossSum / score.tokens;
            double ppl = Math.exp(loss);
            double top1 = (double) score.correct / score.tokens;
            if (json) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                o.put("model", model.toString());
                o.put("files", files.size());
                o.put("tokens", score.tokens);
                o.put("mean_loss", loss);
                o.put("perplexity", ppl);
                o.put("top1_accuracy", top1);
                o.put("window", win);
                out.println(o);
            } else {
                out.printf(Locale.ROOT, "files %d  tokens %d  mean loss %.4f nats  perplexity %.2f  top-1 %.2f %%%n",
                        files.size(), score.tokens, loss, ppl, 100 * top1);
            }
            out.flush();
        }
        return 0;
    }

    private List<Path> listFiles() throws IOException {
        if (source.file != null) {
            if (!Files.isRegularFile(source.file)) {
                throw new RsdException(source.file + ": no such file");
            }
            return List.of(source.file);
        }
        if (!Files.isDirectory(source.dir)) {
            throw new RsdException(source.dir + ": no such directory");
        }
        try (Stream<Path> s = Files.walk(source.dir)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(p -> extensions.stream().anyMatch(e -> p.getFileName().toString().endsWith(e)))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw new RsdException(source.dir + ": no files ending in " + String.join(", ", extensions));
            }
            return files;
        }
    }

    private static int[] encode(LoadedModel lm, Path f) throws IOException {
        String text = Utf8.strictOrNull(Files.readAllBytes(f));
        if (text == null) {
            throw new RsdException(f + ": not valid UTF-8 text");
        }
        int[] body = lm.tokenizer().encode(text);
        if (!lm.tokenizer().addBos() || lm.tokenizer().bos() < 0) {
            return body;
        }
        int[] ids = new int[body.length + 1];
        ids[0] = lm.tokenizer().bos();
        System.arraycopy(body, 0, ids, 1, body.length);
        return ids;
    }

    /** Scores positions start+1..end-1 of ids, predicting each from the tokens of this window before it. */
    private static void scoreWindow(Session session, int[] ids, int start, int end, Score score) {
        for (int pos = start; pos < end - 1; pos += CHUNK) {
            int n = Math.min(CHUNK, end - 1 - pos);
            int[] chunk = java.util.Arrays.copyOfRange(ids, pos, pos + n);
            float[][] logits = session.forward(chunk, pos - start);
            for (int i = 0; i < n; i++) {
                score.add(logits[i], ids[pos + i + 1]);
            }
        }
    }

    /** Running totals: summed negative log-likelihood (nats), tokens, top-1 hits. */
    static final class Score {
        double lossSum;
        long tokens;
        long correct;

        void add(float[] logits, int target) {
            float max = Float.NEGATIVE_INFINITY;
            int argmax = 0;
            for (int j = 0; j < logits.length; j++) {
                if (logits[j] > max) {
                    max = logits[j];
                    argmax = j;
                }
            }
            double sum = 0;
            for (float l : logits) {
                sum += Math.exp(l - max);
            }
            lossSum += Math.log(sum) + max - logits[target];
            tokens++;
            if (argmax == target) {
                correct++;
            }
        }
    }

    /** A bar redrawn in place on a terminal; one line every 10 % of the files otherwise. */
    private static final class Progress {
        private final PrintWriter err;
        private final int total;
        private final boolean terminal = System.console() != null;
        private final long startNanos = System.nanoTime();
        private int done;
        private int lastDecile = -1;

        Progress(PrintWriter err, int total) {
            this.err = err;
            this.total = total;
        }

        void fileDone(Score s) {
            done++;
            double secs = (System.nanoTime() - startNanos) / 1e9;
            String stats = String.format(Locale.ROOT, "%d/%d files  %d tokens  %.0f tok/s  loss %.3f",
                    done, total, s.tokens, s.tokens / Math.max(secs, 1e-9), s.tokens == 0 ? 0 : s.lossSum / s.tokens);
            if (terminal) {
                int width = 30;
                int filled = (int) ((long) width * done / total);
                err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + stats);
            } else if (done * 10 / total != lastDecile) {
                lastDecile = done * 10 / total;
                err.println("perplexity: " + stats);
            }
            err.flush();
        }

        void finish() {
            if (terminal) {
                err.println();
                err.flush();
            }
        }
    }
}
