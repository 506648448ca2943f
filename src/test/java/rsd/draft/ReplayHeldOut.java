package rsd.draft;

import rsd.tokenizer.Cl100kVocabulary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;
import java.util.stream.Stream;
import rsd.draft.rules.Rules;

/**
 * Developer tool: replays the HELD-OUT split of a Python corpus (crc32(relative path) % 20 == 0, the files
 * neither the model nor the pattern table saw) through each mode as if a greedy model wrote exactly that
 * code, and prints tokens per forward, saved forwards and per-rule acceptance. Arguments: CORPUS_DIR
 * MAX_FILES [cost curve "1:1,2:1.03,..."].
 */
public final class ReplayHeldOut {
    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        int maxFiles = Integer.parseInt(args[1]);
        CostModel cost = args.length > 2 ? CostModel.parseCurve(args[2], "curve") : CostModel.linear(16);
        var tok = rsd.tokenizer.Cl100kVocabulary.tokenizer();
        List<int[][]> windows = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(f -> f.toString().endsWith(".py") || f.toString().endsWith(".java")).sorted().toList()) {
                String rel = root.relativize(p).toString();
                if (!PatternMiner.heldOut(rel) || PatternMiner.isTestPath(rel) || windows.size() >= maxFiles) {
                    continue;
                }
                int[] all = tok.encode(new String(Files.readAllBytes(p), StandardCharsets.UTF_8));
                if (all.length < 700) {
                    continue;
                }
                windows.add(new int[][] {Arrays.copyOfRange(all, 0, 300), Arrays.copyOfRange(all, 300, 700)});
            }
        }
        System.out.printf("%d held-out windows (300-token prompt, 400-token continuation); cost curve %s%n",
                windows.size(), cost.describe());
        List<Object[]> modes = List.of(
                new Object[] {"rules", (Supplier<Speculator>) () -> new FirstMatchSpeculator(Rules.all(), 8)},
                new Object[] {"lookup", (Supplier<Speculator>) () -> new FirstMatchSpeculator(List.of(new LookupDrafter()), 8)},
                new Object[] {"patterns", (Supplier<Speculator>) () -> new FirstMatchSpeculator(List.of(new PatternDrafter()), 8)},
                new Object[] {"auto", (Supplier<Speculator>) () -> new AutoSpeculator(allSources(), cost)});
        for (Object[] mode : modes) {
            @SuppressWarnings("unchecked")
            Supplier<Speculator> make = (Supplier<Speculator>) mode[1];
            Speculator spec = make.get();
            ReplaySimulator.Result total = ReplaySimulator.Result.empty();
            long t0 = System.nanoTime();
            for (int[][] w : windows) {
                total = total.plus(ReplaySimulator.replay(tok, w[0], w[1], spec, cost));
            }
            System.out.printf(Locale.ROOT, "%-9s tokens/forward %.3f  saved/100 %.1f  verified/forward %.2f  projected speed-up %.3f  (%.0f ms)%n",
                    mode[0], total.tokensPerForward(), total.savedPer100(), (double) total.treeTokens() / total.forwards(),
                    total.projectedSpeedup(), (System.nanoTime() - t0) / 1e6);
            long tokens = total.tokens();
            total.perRule().forEach((rule, s) -> System.out.printf(Locale.ROOT,
                    "    %-13s drafted %6d accepted %6d rate %.2f  saved/100 %.1f%n",
                    rule, s.drafted(), s.accepted(), s.acceptanceRate(), 100.0 * s.accepted() / tokens));
        }
    }

    static List<Drafter> allSources() {
        List<Drafter> s = new ArrayList<>(Rules.all());
        s.add(new LookupDrafter());
        s.add(new PatternDrafter());
        return s;
    }
}
