package rsd.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;
import rsd.ModeResources;
import rsd.Modes;
import rsd.decode.Speculator;
import rsd.draft.CostModel;
import rsd.draft.FirstMatchSpeculator;
import rsd.draft.datastore.Datastore;
import rsd.draft.datastore.DatastoreDrafter;
import rsd.draft.PatternMiner;
import rsd.draft.ReplaySimulator;
import rsd.error.RsdException;
import rsd.tokenizer.Tokenizer;

/**
 * {@code rsd replay}: what the drafters could win on known code, without running a model. Reference
 * continuations (HumanEval canonical solutions, or held-out files of a corpus) are replayed as if a
 * greedy model wrote them; each mode's tokens per forward, saved forwards, per-rule acceptance and the
 * speed-up a cost curve projects are printed.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = {"Replay reference code through the drafters as if a greedy model wrote it (no model run).",
            "Measures tokens per forward, forwards saved per 100 tokens and per-rule acceptance, and projects the "
                + "speed-up under a cost curve."})
public final class ReplayCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF file whose tokenizer is used, weights not read (default: ${DEFAULT-VALUE})")
    Path model = rsd.LoadedModel.DEFAULT_MODEL;

    @Option(names = "--dataset", paramLabel = "FILE", description = "HumanEval-format .jsonl(.gz): prompt, then canonical_solution")
    Path dataset;

    @Option(names = "--corpus", paramLabel = "DIR",
            description = "directory of .py/.java files: its HELD-OUT files (crc32(relative path) %% 20 == 0) are replayed")
    Path corpus;

    @Option(names = "--files", defaultValue = "40", description = "held-out files taken from --corpus (default: ${DEFAULT-VALUE})")
    int files;

    @Option(names = "--cost-curve", defaultValue = "1:1,2:1.03,4:1.08,8:1.2,16:1.5", paramLabel = "T:C,...",
            description = "cost(T) relative to one token, as measured by the calibration or bench-engine (default: ${DEFAULT-VALUE})")
    String costCurve;

    @Option(names = "--cost-model", paramLabel = "FILE",
            description = "project with the cost curve of this GGUF on this machine (calibrated once and cached), "
                + "instead of --cost-curve")
    Path costModel;

    @Option(names = "--recalibrate", description = "measure the --cost-model curve again and replace the cached one")
    boolean recalibrate;

    @Option(names = {"-t", "--threads"}, defaultValue = "0", description = "threads for --cost-model (default: all cores)")
    int threads;

    @Option(names = "--modes", split = ",", defaultValue = "rules,lookup,patterns,indent,auto", paramLabel = "M,M",
            description = "modes to replay (default: ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = {"--draft-max", "--gamma"}, defaultValue = "4", description = "longest guess of the single-source modes (default: ${DEFAULT-VALUE})")
    int gamma;

    @Option(names = "--datastore", paramLabel = "FILE",
            description = "code datastore made by rsd index: a source of auto, and the mode 'datastore' alone")
    Path datastore;

    private Datastore store;

    @Override
    public Integer call() {
        if ((dataset == null) == (corpus == null)) {
            throw new RsdException("give exactly one of --dataset FILE or --corpus DIR");
        }
        Models.requireModelFile(model, "model", "--model");
        if (gamma < 1) {
            throw new RsdException("--gamma must be >= 1, got " + gamma);
        }
        CostModel cost = costModel == null ? CostModel.parseCurve(costCurve, "--cost-curve") : calibrate();
        Tokenizer tokenizer = ModelTokenizer.load(model);
        store = IndexCommand.open(datastore, tokenizer);
        try {
            return replay(tokenizer, cost);
        } finally {
            if (store != null) {
                store.close();
            }
        }
    }

    private Integer replay(Tokenizer tokenizer, CostModel cost) {
        // The registry's modes, built on the tokenizer alone: no model runs, so there is no draft model.
        ModeResources resources = new ModeResources(null, tokenizer, gamma, ModeResources.DEFAULT_DRAFT_P_MIN, null,
                () -> cost, store);
        List<int[][]> items = dataset != null ? fromDataset(tokenizer) : fromCorpus(tokenizer);
        PrintWriter out = spec.commandLine().getOut();
        long tokens = items.stream().mapToLong(i -> i[1].length).sum();
        out.printf(Locale.ROOT, "rsd replay: %d items, %d continuation tokens, cost curve %s%n", items.size(), tokens, cost.describe());
        if (store != null) {
            out.printf(Locale.ROOT, "datastore %s: %d files, %d tokens%n", datastore, store.fileCount(), store.tokenCount());
        }
        out.printf(Locale.ROOT, "%-9s %9s %9s %8s %10s %10s %10s%n", "mode", "tokens", "forwards", "tok/fwd", "saved/100",
                "verif/fwd", "projected");
        List<String> ruleLines = new ArrayList<>();
        for (String mode : modes) {
            Speculator speculator = speculator(mode.trim(), resources);
            ReplaySimulator.Result total = ReplaySimulator.Result.empty();
            for (int[][] item : items) {
                total = total.plus(ReplaySimulator.replay(tokenizer, item[0], item[1], speculator, cost));
            }
            out.printf(Locale.ROOT, "%-9s %9d %9d %8.3f %10.1f %10.2f %9.3fx%n", mode.trim(), total.tokens(), total.forwards(),
                    total.tokensPerForward(), total.savedPer100(),
                    total.forwards() == 0 ? 0.0 : (double) total.treeTokens() / total.forwards(), total.projectedSpeedup());
            long t = total.tokens();
            total.perRule().forEach((rule, s) -> ruleLines.add(String.format(Locale.ROOT, "%-24s %9d %9d %7.1f%% %10.1f",
                    mode.trim() + "/" + rule, s.drafted(), s.accepted(), 100 * s.acceptanceRate(), t == 0 ? 0.0 : 100.0 * s.accepted() / t)));
        }
        out.println();
        out.printf(Locale.ROOT, "%-24s %9s %9s %8s %10s%n", "mode/rule", "drafted", "accepted", "accept", "saved/100");
        ruleLines.forEach(out::println);
        out.flush();
        return 0;
    }

    /** The cached or freshly measured cost curve of --cost-model on this machine. */
    private CostModel calibrate() {
        Models.refuseNonFile(costModel, "cost model", "--cost-model");
        if (!Files.isRegularFile(costModel)) {
            throw new RsdException("cost model file " + costModel + " does not exist");
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        try (rsd.model.LlamaModel m = rsd.model.LlamaModel.load(costModel, n, 0)) {
            return CostModel.forFile(m, costModel, n, System.err, recalibrate);
        }
    }

    private Speculator speculator(String mode, ModeResources resources) {
        if (mode.equals("datastore")) {
            // Replay only: the datastore alone, to see what it wins by itself.
            if (store == null) {
                throw new RsdException("--modes: mode 'datastore' needs --datastore FILE");
            }
            return new FirstMatchSpeculator(List.of(new DatastoreDrafter(store)), gamma);
        }
        List<String> replayable = Modes.available(resources);
        if (!replayable.contains(mode)) {
            throw new RsdException("--modes: unknown mode '" + mode + "'; replayable: " + String.join(", ", replayable)
                    + ", datastore");
        }
        return Modes.create(mode, resources);
    }

    private List<int[][]> fromDataset(Tokenizer tokenizer) {
        ObjectMapper json = new ObjectMapper();
        List<int[][]> items = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(dataset);
             InputStream in = dataset.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
            int number = 0;
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = json.readTree(line);
                } catch (IOException e) {
                    throw new RsdException(dataset + " line " + number + ": not valid JSON");
                }
                if (!node.path("prompt").isTextual() || !node.path("canonical_solution").isTextual()) {
                    throw new RsdException(dataset + " line " + number + ": needs string fields prompt and canonical_solution");
                }
                items.add(split(tokenizer, node.get("prompt").asText(), node.get("canonical_solution").asText()));
            }
        } catch (IOException e) {
            throw new RsdException(dataset + ": cannot read it (" + e.getMessage() + ")");
        }
        if (items.isEmpty()) {
            throw new RsdException(dataset + ": no problems in the file");
        }
        return items;
    }

    /** Held-out files: the first 300 tokens are the prompt, the next 400 the continuation. */
    private List<int[][]> fromCorpus(Tokenizer tokenizer) {
        if (!Files.isDirectory(corpus)) {
            throw new RsdException("corpus directory " + corpus + " does not exist");
        }
        List<int[][]> items = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(corpus)) {
            for (Path p : walk.filter(f -> f.toString().endsWith(".py") || f.toString().endsWith(".java")).sorted().toList()) {
                String rel = corpus.relativize(p).toString().replace('\\', '/');
                if (items.size() >= files || !PatternMiner.heldOut(rel)) {
                    continue;
                }
                int[] all = tokenizer.encode(Files.readString(p, StandardCharsets.UTF_8));
                if (all.length >= 700) {
                    items.add(new int[][] {Arrays.copyOf(all, 300), Arrays.copyOfRange(all, 300, 700)});
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new RsdException("cannot read corpus " + corpus + ": " + e.getMessage());
        }
        if (items.isEmpty()) {
            throw new RsdException(corpus + ": no held-out .py/.java file of at least 700 tokens");
        }
        return items;
    }

    /** Prompt tokens, then the rest of prompt + solution as tokenized together (merges across the seam kept). */
    private static int[][] split(Tokenizer tokenizer, String prompt, String solution) {
        int[] all = tokenizer.encode(prompt + solution);
        int[] head = tokenizer.encode(prompt);
        int cut = 0;
        while (cut < head.length && cut < all.length && head[cut] == all[cut]) {
            cut++;
        }
        return new int[][] {Arrays.copyOf(all, cut), Arrays.copyOfRange(all, cut, all.length)};
    }
}
