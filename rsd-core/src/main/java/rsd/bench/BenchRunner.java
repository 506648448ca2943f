package rsd.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.decode.TextGenerator;

/**
 * Runs every mode on every problem. First an untimed warm-up of each mode (the JIT compiles the hot
 * loops), then for each problem all modes back to back, in an order that rotates from one round to
 * the next, so that machine drift (heat, other processes) hits every mode alike. With repeats, each
 * problem runs that many rounds of all modes and each mode keeps its run of median time: generation
 * is deterministic (a fixed seed when sampling), so only the time differs between repeats, and a
 * repeat that produced other tokens is an error.
 */
public final class BenchRunner {
    /** Receives progress after each run: {@code done} of {@code total} runs finished. */
    public interface Progress {
        void update(int done, int total, Problem problem, String mode, GenerationResult result);
    }

    /**
     * A problem as run in one mode; {@code identicalToStandard} is null when not comparable (sampling).
     * {@code result} is the repeat of median time; {@code repeatSeconds} the elapsed time of every repeat,
     * in round order (round i of every mode ran in the same interleaved pass).
     */
    public record Run(Problem problem, String mode, GenerationResult result, Boolean identicalToStandard,
                      List<Double> repeatSeconds) {
        public Run {
            repeatSeconds = List.copyOf(repeatSeconds);
        }

        /** A run timed once. */
        public Run(Problem problem, String mode, GenerationResult result, Boolean identicalToStandard) {
            this(problem, mode, result, identicalToStandard, List.of(result.elapsedSeconds()));
        }
    }

    private final Map<String, TextGenerator> generators;
    private final GenerationSettings settings;
    private final int warmupTokens;
    private final int repeats;
    private final Progress progress;

    /**
     * @param generators   mode name to generator, in display order; must contain "standard"
     * @param settings     max tokens and sampling for every run (stop strings come from each problem)
     * @param warmupTokens tokens generated per mode in the untimed warm-up (0: none)
     */
    public BenchRunner(Map<String, TextGenerator> generators, GenerationSettings settings, int warmupTokens,
                       Progress progress) {
        this(generators, settings, warmupTokens, 1, progress);
    }

    /** As above, timing each problem and mode {@code repeats} times and keeping the median. */
    public BenchRunner(Map<String, TextGenerator> generators, GenerationSettings settings, int warmupTokens,
                       int repeats, Progress progress) {
        if (repeats < 1) {
            throw new IllegalArgumentException("repeats must be at least 1, got " + repeats);
        }
        if (!generators.containsKey("standard")) {
            throw new IllegalArgumentException("the benchmark needs the standard mode as its reference");
        }
        this.generators = new LinkedHashMap<>(generators);
        this.settings = settings;
        this.warmupTokens = warmupTokens;
        this.repeats = repeats;
        this.progress = progress;
    }

    public List<Run> run(List<Problem> problems) {
        List<String> modes = new ArrayList<>(generators.keySet());
        if (warmupTokens > 0 && !problems.isEmpty()) {
            Problem first = problems.get(0);
            GenerationSettings warm = new GenerationSettings(Math.min(warmupTokens, settings.maxTokens()),
                    settings.temperature(), settings.topK(), settings.topP(), settings.seed(), first.stopStrings());
            for (String mode : modes) {
                TextGenerator g = generators.get(mode);
                g.generate(Prompts.completion(g.tokenizer(), first.prompt()), warm, null, null);
            }
        }
        boolean greedy = settings.temperature() <= 0f;
        List<Run> runs = new ArrayList<>();
        int total = problems.size() * modes.size() * repeats;
        int done = 0;
        for (int p = 0; p < problems.size(); p++) {
            Problem problem = problems.get(p);
            GenerationSettings s = settings.withStops(problem.stopStrings());
            Map<String, List<GenerationResult>> timed = new LinkedHashMap<>();
            for (String mode : modes) {
                timed.put(mode, new ArrayList<>());
            }
            for (int round = 0; round < repeats; round++) {
                for (int k = 0; k < modes.size(); k++) {
                    String mode = modes.get((p + round + k) % modes.size());
                    TextGenerator g = generators.get(mode);
                    GenerationResult r = g.generate(Prompts.completion(g.tokenizer(), problem.prompt()), s, null, null);
                    List<GenerationResult> earlier = timed.get(mode);
                    if (!earlier.isEmpty() && !Arrays.equals(earlier.get(0).tokenIds(), r.tokenIds())) {
                        throw new IllegalStateException("mode " + mode + " generated different tokens when repeated on "
                                + problem.taskId() + ": generation must be deterministic");
                    }
                    earlier.add(r);
                    done++;
                    if (progress != null) {
                        progress.update(done, total, problem, mode, r);
                    }
                }
            }
            Map<String, GenerationResult> results = new LinkedHashMap<>();
            timed.forEach((mode, list) -> results.put(mode, medianTime(list)));
            int[] reference = results.get("standard").tokenIds();
            for (String mode : modes) {
                GenerationResult r = results.get(mode);
                List<Double> seconds = timed.get(mode).stream().map(GenerationResult::elapsedSeconds).toList();
                runs.add(new Run(problem, mode, r, greedy ? Arrays.equals(r.tokenIds(), reference) : null, seconds));
            }
        }
        return runs;
    }

    /** The run of median elapsed time (the lower middle one for an even count). */
    static GenerationResult medianTime(List<GenerationResult> runs) {
        List<GenerationResult> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a.elapsedSeconds(), b.elapsedSeconds()));
        return sorted.get((sorted.size() - 1) / 2);
    }
}
