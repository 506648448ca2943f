package rsd.draft;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import rsd.decode.Draft;
import rsd.decode.GrowingContext;
import rsd.decode.Speculator;
import rsd.metrics.RuleStats;
import rsd.tokenizer.Tokenizer;

/**
 * Replays a known continuation through a speculator as if a greedy model produced exactly that
 * continuation: each step verifies the proposed branches, accepts the longest branch prefix that matches
 * the reference, then emits the reference's next token as the model's own. This measures what rules can
 * win on a text without running a model (tokens per forward, per-rule acceptance, and the speed-up a cost
 * curve projects); with a real model, {@code rsd bench} measures the same quantities on the model's own
 * output.
 */
public final class ReplaySimulator {
    /**
     * @param tokens       continuation tokens replayed
     * @param forwards     verification forwards (one per step)
     * @param treeTokens   guessed tokens verified in all forwards (all branches)
     * @param relativeCost sum over steps of cost(1 + tree size), in single-token forwards
     */
    public record Result(long tokens, long forwards, long treeTokens, double relativeCost, Map<String, RuleStats> perRule) {
        public double tokensPerForward() {
            return forwards == 0 ? 0 : (double) tokens / forwards;
        }

        /** Forward passes saved per 100 tokens compared with one forward per token. */
        public double savedPer100() {
            return tokens == 0 ? 0 : 100.0 * (tokens - forwards) / tokens;
        }

        /** Tokens per unit of cost relative to plain decoding: the speed-up the cost curve projects. */
        public double projectedSpeedup() {
            return relativeCost == 0 ? 0 : tokens / relativeCost;
        }

        public Result plus(Result o) {
            Map<String, RuleStats> m = new TreeMap<>(perRule);
            o.perRule.forEach((k, v) -> m.merge(k, v, RuleStats::plus));
            return new Result(tokens + o.tokens, forwards + o.forwards, treeTokens + o.treeTokens,
                    relativeCost + o.relativeCost, m);
        }

        public static Result empty() {
            return new Result(0, 0, 0, 0, new TreeMap<>());
        }
    }

    private ReplaySimulator() {
    }

    public static Result replay(Tokenizer tokenizer, int[] prompt, int[] reference, Speculator speculator, CostModel cost) {
        speculator.reset();
        GrowingContext context = new GrowingContext(tokenizer, prompt);
        Map<String, long[]> rules = new TreeMap<>();
        long forwards = 0;
        long tree = 0;
        double relativeCost = 0;
        int pos = 0;
        while (pos < reference.length) {
            List<Draft> branches = speculator.propose(context, reference.length - pos);
            int bestBranch = -1;
            int bestAccepted = 0;
            Set<String> nodes = new HashSet<>();
            for (int b = 0; b < branches.size(); b++) {
                Draft d = branches.get(b);
                for (int i = 0; i < d.size(); i++) {
                    if (nodes.add(Arrays.toString(Arrays.copyOf(d.tokens(), i + 1)))) {
                        rules.computeIfAbsent(d.rules()[i], k -> new long[2])[0]++;
                    }
                }
                int a = 0;
                while (a < d.size() && pos + a < reference.length && d.tokens()[a] == reference[pos + a]) {
                    a++;
                }
                if (a > bestAccepted || bestBranch < 0) {
                    bestAccepted = a;
                    bestBranch = b;
                }
            }
            if (bestBranch >= 0) {
                Draft d = branches.get(bestBranch);
                for (int i = 0; i < bestAccepted; i++) {
                    rules.get(d.rules()[i])[1]++;
                }
            }
            speculator.observe(branches, bestBranch, bestAccepted);
            forwards++;
            tree += nodes.size();
            relativeCost += cost.cost(1 + nodes.size());
            int emitted = Math.min(bestAccepted + 1, reference.length - pos);
            for (int i = 0; i < emitted; i++) {
                context.add(reference[pos + i]);
            }
            pos += emitted;
        }
        Map<String, RuleStats> perRule = new TreeMap<>();
        rules.forEach((k, v) -> perRule.put(k, new RuleStats(v[0], v[1])));
        return new Result(reference.length, forwards, tree, relativeCost, perRule);
    }
}
