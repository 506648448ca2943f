package rsd.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rsd.ModeResources;
import rsd.Modes;
import rsd.bench.BenchJson;
import rsd.bench.BenchRunner;
import rsd.bench.ModeSummary;
import rsd.bench.Problem;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.decode.TextGenerator;
import rsd.tokenizer.Tokenizer;

/**
 * rsd's real benchmark runner, modes and rules on real HumanEval problems, with an {@link OracleModel} that
 * writes each problem's canonical solution and costs a chosen {@code base + perToken * T} per forward. The
 * acceptance of every rule is real; the speed follows the chosen cost curve.
 */
final class OracleBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OracleBench() {
    }

    /**
     * Writes the bench JSON and report for the docs: {@code OracleBench HUMANEVAL.jsonl OUT_DIR [problems]}, with a
     * forward cost of 6 ms + 0.6 ms per token (cost(5)/cost(1) = 1.4, the shape of a weight-stationary CPU kernel).
     */
    public static void main(String[] args) throws IOException {
        int limit = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        ObjectNode bench = run(rsd.tokenizer.Cl100kVocabulary.tokenizer(), humanEval(Path.of(args[0]), limit),
                List.of("standard", "indent", "rules", "lookup", "patterns", "auto"), 6_000_000, 600_000);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        Files.writeString(out.resolve("oracle-bench.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(bench));
        BenchReport.write(bench, out.resolve("oracle-bench.html"));
    }

    record Item(String taskId, String prompt, String solution) {
    }

    static List<Item> humanEval(Path jsonl, int limit) {
        try {
            List<Item> items = new ArrayList<>();
            for (String line : Files.readAllLines(jsonl)) {
                if (!line.isBlank() && items.size() < limit) {
                    JsonNode n = JSON.readTree(line);
                    items.add(new Item(n.path("task_id").asText(), n.path("prompt").asText(), n.path("canonical_solution").asText()));
                }
            }
            return items;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode run(Tokenizer tok, List<Item> items, List<String> modes, long baseNanos, long perTokenNanos) {
        List<int[]> scripts = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        for (Item it : items) {
            int[] p = Prompts.completion(tok, it.prompt());
            int[] c = tok.encode(it.solution());
            int[] s = java.util.Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, s, p.length, c.length);
            scripts.add(s);
            problems.add(new Problem(it.taskId(), it.prompt(), "python", Problem.PYTHON_STOPS));
        }
        OracleModel model = new OracleModel(tok.vocabSize(), scripts, tok.eos(), baseNanos, perTokenNanos);
        ModeResources res = ModeResources.of(model, tok);
        Map<String, TextGenerator> generators = new LinkedHashMap<>();
        for (String m : modes) {
            generators.put(m, Modes.decoder(m, res));
        }
        GenerationSettings settings = new GenerationSettings(384, 0f, 0, 1f, 0, List.of());
        List<BenchRunner.Run> runs = new BenchRunner(generators, settings, 0, (done, total, problem, mode, r) -> { })
                .run(problems);
        ObjectNode modelJson = JSON.createObjectNode().put("name", "oracle: writes the canonical solutions")
                .put("rules", "rsd's own").put("tokenizer", "cl100k (Llama 3 ids)")
                .put("simulated_forward_cost", String.format(java.util.Locale.ROOT, "%.1f ms + %.2f ms per token",
                        baseNanos / 1e6, perTokenNanos / 1e6));
        ObjectNode settingsJson = JSON.createObjectNode().put("max_tokens", settings.maxTokens()).put("temperature", 0.0)
                .put("gamma", ModeResources.DEFAULT_GAMMA);
        settingsJson.putArray("modes").addAll(modes.stream().map(JSON.getNodeFactory()::textNode).toList());
        return BenchJson.build(modelJson, "humaneval-sample", problems.size(), settingsJson, ModeSummary.of(runs), runs);
    }
}
