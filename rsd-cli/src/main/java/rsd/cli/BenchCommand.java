package rsd.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import rsd.ModeResources;
import rsd.Modes;
import rsd.bench.BenchJson;
import rsd.bench.BenchRunner;
import rsd.bench.BenchTable;
import rsd.bench.Datasets;
import rsd.bench.ModeSummary;
import rsd.bench.Problem;
import rsd.bench.SpeedupSpread;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.TextGenerator;
import rsd.error.RsdException;
import rsd.report.BenchReport;

/**
 * {@code rsd bench}, the main job: every mode on every prompt of a suite, with the same settings,
 * interleaved; a table of speed and acceptance, and whether each mode's output is identical to standard.
 * Exit code 1 when a lossless mode's greedy output differs from standard decoding.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmark decoding modes on HumanEval-format prompts (default: the built-in suite).")
public final class BenchCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = "--dataset", paramLabel = "FILE", description = "HumanEval-format .jsonl or .jsonl.gz (default: the built-in suite)")
    Path dataset;

    @Option(names = "--limit", paramLabel = "N", description = "only the first N problems")
    Integer limit;

    @Option(names = {"-n", "--n-predict", "--max-tokens"}, paramLabel = "N", description = "most tokens per problem (default: ${DEFAULT-VALUE})")
    int maxTokens = 256;

    @Option(names = "--modes", paramLabel = "M,M", split = ",", description = "modes to compare (default: every available mode)")
    List<String> modes;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--warmup-tokens", paramLabel = "N", description = "untimed JIT warm-up per mode (default: ${DEFAULT-VALUE})")
    int warmupTokens = 48;
    /** Untimed forwards over 1..this many tokens before the run (see LanguageModel.warmUp), for about this long. */
    static final int KERNEL_WARMUP_WIDTH = 16;
    static final long KERNEL_WARMUP_NANOS = 2_000_000_000L;

    @Option(names = "--repeat", paramLabel = "N", description = "time each problem and mode N times, keep the median and show the speed-ups' min-max; "
                    + "a mode is named fastest only with N >= 3 and when it beats the others in every repeat (default: ${DEFAULT-VALUE})")
    int repeat = 1;

    @Option(names = "--json", paramLabel = "PATH|-", description = "write the results as JSON ('-': as the last stdout line)")
    String jsonOut;

    @Option(names = "--html", paramLabel = "PATH", description = "also write an HTML report with charts")
    Path html;

    private final ModelOpener opener;
    Boolean terminalOverride;
    /** Builds each mode's generator; tests substitute a faulty mode to check the exit code. */
    java.util.function.BiFunction<String, ModeResources, TextGenerator> generatorFactory = Modes::decoder;

    public BenchCommand() {
        this(rsd.LoadedModel::open);
    }

    BenchCommand(ModelOpener opener) {
        this.opener = opener;
    }

    @Override
    public Integer call() throws IOException {
        if (maxTokens < 1) {
            throw new RsdException("--max-tokens must be >= 1, got " + maxTokens);
        }
        GenerationSettings settings = sampling.settings(maxTokens, List.of());
        if (repeat < 1) {
            throw new RsdException("--repeat must be >= 1, got " + repeat);
        }
        if (limit != null && limit < 1) {
            throw new RsdException("--limit must be >= 1, got " + limit);
        }
        if (jsonOut != null && !jsonOut.equals("-")) {
            OutputPath.check("--json", Path.of(jsonOut), dataset, modelOptions.model, modelOptions.draftModel);
        }
        if (html != null) {
            OutputPath.check("--html", html, dataset, modelOptions.model, modelOptions.draftModel);
        }
        List<Problem> problems = dataset == null ? Datasets.builtin() : Datasets.load(dataset);
        if (limit != null && limit < problems.size()) {
            problems = problems.subList(0, limit);
        }
        String datasetName = dataset == null ? Datasets.BUILTIN : dataset.getFileName().toString();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = terminalOverride != null ? terminalOverride : Terminal.interactive();

        try (Models models = new Models(modelOptions, opener)) {
            ModeResources res = models.resources();
            List<String> chosen = chooseModes(res);
            Map<String, TextGenerator> generators = new LinkedHashMap<>();
            try {
                for (String m : chosen) {
                    generators.put(m, generatorFactory.apply(m, res));
                }
                err.printf(Locale.ROOT, "rsd bench: %d problems from %s, modes %s, up to %d tokens each, %s%n",
                        problems.size(), datasetName, String.join(", ", chosen), maxTokens,
                        settings.temperature() <= 0f ? "greedy" : "temperature " + settings.temperature());
                err.flush();
                // every forward width a speculative step may use, compiled before the clock runs
                models.target.model().warmUp(KERNEL_WARMUP_WIDTH, KERNEL_WARMUP_NANOS);
                ProgressBar bar = new ProgressBar(err, terminal, chosen.size() * repeat);
                List<BenchRunner.Run> runs = new BenchRunner(generators, settings, warmupTokens, repeat, bar).run(problems);
                bar.finish();
                List<ModeSummary> summaries = ModeSummary.of(runs);
                out.print(BenchTable.format(summaries));
                out.println();
                out.print(BenchTable.spread(SpeedupSpread.of(runs)));
                double standardSeconds = SpeedupSpread.standardSeconds(runs);
                if (standardSeconds < SpeedupSpread.MIN_STANDARD_SECONDS) {
                    err.printf(Locale.ROOT, "rsd bench: warning: standard decoding took %.2f s in all, too short to tell the "
                            + "modes apart (timer, JIT and scheduling noise); give more problems, -n/--max-tokens or --repeat%n",
                            standardSeconds);
                }
                List<String> differing = new ArrayList<>();
                for (ModeSummary s : summaries) {
                    if (Boolean.FALSE.equals(s.identicalToStandard())) { // every mode is lossless
                        differing.add(s.mode() + " (" + s.differingProblems() + " of " + s.problems() + " problems)");
                    }
                }
                ObjectNode doc = BenchJson.build(modelJson(models), datasetName, problems.size(),
                        settingsJson(settings, chosen), summaries, runs);
                if (html != null) {
                    BenchReport.write(doc, html);
                    err.println("rsd bench: report written to " + html);
                }
                if (jsonOut != null) {
                    if (jsonOut.equals("-")) {
                        out.println(JSON.writeValueAsString(doc));
                    } else {
                        writeJson(Path.of(jsonOut), doc);
                    }
                }
                if (!differing.isEmpty()) {
                    err.println("rsd bench: output differs from standard decoding in " + String.join(", ", differing));
                }
                out.flush();
                err.flush();
                return differing.isEmpty() ? 0 : 1;
            } finally {
                for (TextGenerator g : generators.values()) {
                    if (g instanceof Decoder d) {
                        d.close();
                    }
                }
            }
        }
    }

    private List<String> chooseModes(ModeResources res) {
        List<String> available = Modes.available(res);
        List<String> chosen = new ArrayList<>();
        chosen.add(Modes.STANDARD); // the reference every other mode is compared with
        for (String m : modes == null ? available : modes) {
            String name = m.trim();
            if (name.isEmpty() || chosen.contains(name)) {
                continue;
            }
            if (!available.contains(name)) {
                throw new RsdException("--modes: mode '" + name + "' is not available here; available: "
                        + String.join(", ", available)
                        + (name.equals(Modes.DRAFT) ? " (the draft model " + modelOptions.draftModel + " is missing)" : ""));
            }
            chosen.add(name);
        }
        return chosen;
    }

    private ObjectNode modelJson(Models models) {
        ObjectNode o = JSON.createObjectNode();
        o.put("name", models.target.model().name());
        o.put("path", models.target.path().toString());
        try {
            o.put("file_bytes", Files.size(models.target.path()));
        } catch (IOException e) {
            o.putNull("file_bytes");
        }
        o.put("vocab_size", models.target.model().vocabSize());
        o.put("context_length", models.target.model().contextLength());
        if (models.draftLoaded()) {
            o.put("draft_model", models.draftPath().toString());
        }
        return o;
    }

    private ObjectNode settingsJson(GenerationSettings settings, List<String> chosen) {
        ObjectNode s = JSON.createObjectNode();
        SamplingOptions.putJson(settings, s);
        s.put("gamma", modelOptions.gamma);
        s.put("draft_min", modelOptions.draftMin);
        s.put("draft_p_min", modelOptions.draftPMin);
        s.put("threads", modelOptions.threads);
        s.put("ctx", modelOptions.ctx);
        s.put("warmup_tokens", warmupTokens);
        s.put("warmup_forward_widths", KERNEL_WARMUP_WIDTH);
        s.put("repeat", repeat);
        ArrayNode m = s.putArray("modes");
        chosen.forEach(m::add);
        s.put("cpus", Runtime.getRuntime().availableProcessors());
        s.put("java", System.getProperty("java.version"));
        s.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        return s;
    }

    private static void writeJson(Path path, ObjectNode doc) throws IOException {
        try {
            Files.writeString(path, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(doc) + "\n");
        } catch (NoSuchFileException e) {
            throw new RsdException("--json " + path + ": the folder does not exist");
        }
    }

    /** Progress on stderr: a bar redrawn in place on a terminal, one line per problem otherwise. */
    static final class ProgressBar implements BenchRunner.Progress {
        private final PrintWriter err;
        private final boolean terminal;
        private final int modes;
        private final long start = System.nanoTime();

        ProgressBar(PrintWriter err, boolean terminal, int modes) {
            this.err = err;
            this.terminal = terminal;
            this.modes = modes;
        }

        @Override
        public void update(int done, int total, Problem problem, String mode, GenerationResult result) {
            double seconds = (System.nanoTime() - start) / 1e9;
            if (terminal) {
                int width = 30;
                int filled = (int) ((long) width * done / total);
                err.printf(Locale.ROOT, "\r\u001b[K[%s%s] %d/%d  %s  %s %.1f tok/s  %.0fs", "#".repeat(filled),
                        " ".repeat(width - filled), done, total, problem.taskId(), mode, result.tokensPerSecond(), seconds);
            } else if (done % modes == 0) {
                // Not a terminal: one line per finished problem, for logs.
                err.printf(Locale.ROOT, "[%d/%d] %s done (%.0fs)%n", done, total, problem.taskId(), seconds);
            }
            err.flush();
        }

        void finish() {
            if (terminal) {
                err.print("\r\u001b[K");
                err.flush();
            }
        }
    }
}
