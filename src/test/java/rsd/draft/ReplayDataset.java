package rsd.draft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import rsd.draft.rules.Rules;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.tokenizer.Tokenizer;

/**
 * Developer tool: replays the reference solutions of a HumanEval-format file (prompt, then
 * canonical_solution) through each mode, as the bar does. A MEASUREMENT only: the rules are not
 * tuned on evaluation data. Arguments: FILE.jsonl [cost curve].
 */
public final class ReplayDataset {
    public static void main(String[] args) throws Exception {
        Tokenizer tok = Cl100kVocabulary.tokenizer();
        CostModel cost = args.length > 1 ? CostModel.parseCurve(args[1], "curve") : CostModel.linear(16);
        ObjectMapper json = new ObjectMapper();
        List<int[][]> problems = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode p = json.readTree(line);
            String prompt = p.get("prompt").asText();
            int[] all = tok.encode(prompt + p.get("canonical_solution").asText());
            int[] promptIds = tok.encode(prompt);
            int cut = promptIds.length;
            // the prompt's tokens must be a prefix of the whole; else cut at the first difference
            for (int i = 0; i < promptIds.length; i++) {
                if (i >= all.length || all[i] != promptIds[i]) {
                    cut = i;
                    break;
                }
            }
            problems.add(new int[][] {java.util.Arrays.copyOf(all, cut), java.util.Arrays.copyOfRange(all, cut, all.length)});
        }
        System.out.printf("%d problems; cost curve %s%n", problems.size(), cost.describe());
        List<Object[]> modes = new ArrayList<>();
        modes.add(new Object[] {"rules", new FirstMatchSpeculator(Rules.all(), 4)});
        modes.add(new Object[] {"lookup", new FirstMatchSpeculator(List.of(new LookupDrafter()), 4)});
        modes.add(new Object[] {"patterns", new FirstMatchSpeculator(List.of(new PatternDrafter()), 4)});
        modes.add(new Object[] {"auto", new AutoSpeculator(ReplayHeldOut.allSources(), cost)});
        for (Object[] m : modes) {
            Speculator spec = (Speculator) m[1];
            ReplaySimulator.Result total = ReplaySimulator.Result.empty();
            for (int[][] p : problems) {
                total = total.plus(ReplaySimulator.replay(tok, p[0], p[1], spec, cost));
            }
            System.out.printf(Locale.ROOT, "%-9s tokens/forward %.3f  saved/100 %.1f  projected speed-up %.3f%n",
                    m[0], total.tokensPerForward(), total.savedPer100(), total.projectedSpeedup());
            long tokens = total.tokens();
            total.perRule().forEach((rule, s) -> System.out.printf(Locale.ROOT,
                    "    %-13s drafted %5d accepted %5d rate %.2f saved/100 %.1f%n",
                    rule, s.drafted(), s.accepted(), s.acceptanceRate(), 100.0 * s.accepted() / tokens));
        }
    }
}
