package rsd.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import rsd.metrics.RuleStats;
import rsd.metrics.StepTrace;
import rsd.metrics.RuleTally;

/**
 * One mode's totals over all problems, with the metrics defined in docs/core.md (Metrics). Rates are computed from
 * totals (all tokens / all time), not averaged per problem, so long outputs weigh what they cost.
 *
 * @param identicalToStandard null when outputs are not comparable (sampling)
 * @param stepSeconds         time inside decode steps (propose, verify, accept), summed from the step
 *                            traces: elapsedSeconds minus this is the prompt's prefill and set-up
 * @param forwardSizes        how many verification forwards ran over T tokens (the last token plus
 *                            T - 1 guesses), by T: with a model's cost curve this projects the mode's
 *                            speed-up on that model ({@code rsd bench-engine --project})
 * @param stepMillisBySize    mean time of a decode step (propose, forward, verify, accept) by T, measured in
 *                            this run: the cost curve the mode really met, next to the isolated one of
 *                            {@code rsd bench-engine}
 */
public record ModeSummary(String mode, int problems, long totalTokens, double elapsedSeconds, double tokensPerSecond,
                          long forwardPasses, double tokensPerForward, long draftedTokens, long acceptedTokens,
                          double acceptanceRate, double speedupVsStandard, Boolean identicalToStandard,
                          int differingProblems, Map<String, RuleStats> perRule, double stepSeconds,
                          SortedMap<Integer, Long> forwardSizes, SortedMap<Integer, Double> stepMillisBySize) {

    /** Summaries of every mode in the order they first appear in {@code runs}. */
    public static List<ModeSummary> of(List<BenchRunner.Run> runs) {
        Map<String, List<BenchRunner.Run>> byMode = new LinkedHashMap<>();
        for (BenchRunner.Run r : runs) {
            byMode.computeIfAbsent(r.mode(), m -> new ArrayList<>()).add(r);
        }
        double standardTps = byMode.containsKey("standard") ? tokensPerSecond(byMode.get("standard")) : 0;
        List<ModeSummary> out = new ArrayList<>();
        byMode.forEach((mode, list) -> {
            long tokens = 0;
            long forwards = 0;
            double seconds = 0;
            int differing = 0;
            boolean comparable = true;
            RuleTally tally = new RuleTally();
            SortedMap<Integer, Long> sizes = new TreeMap<>();
            SortedMap<Integer, Double> millisBySize = new TreeMap<>();
            double stepMillis = 0;
            for (BenchRunner.Run r : list) {
                for (StepTrace step : r.result().steps()) {
                    sizes.merge(1 + step.treeSize(), 1L, Long::sum);
                    millisBySize.merge(1 + step.treeSize(), step.millis(), Double::sum);
                    stepMillis += step.millis();
                }
                tokens += r.result().totalTokens();
                forwards += r.result().forwardPasses();
                seconds += r.result().elapsedSeconds();
                tally.add(r.result().perRule());
                if (r.identicalToStandard() == null) {
                    comparable = false;
                } else if (!r.identicalToStandard()) {
                    differing++;
                }
            }
            double tps = seconds > 0 ? tokens / seconds : 0;
            long drafted = tally.totalDrafted();
            long accepted = tally.totalAccepted();
            millisBySize.replaceAll((t, total) -> total / sizes.get(t));
            out.add(new ModeSummary(mode, list.size(), tokens, seconds, tps, forwards,
                    forwards == 0 ? 0 : (double) tokens / forwards, drafted, accepted,
                    drafted == 0 ? 0 : (double) accepted / drafted, standardTps > 0 ? tps / standardTps : 0,
                    comparable ? differing == 0 : null, differing, tally.snapshot(), stepMillis / 1000, sizes, millisBySize));
        });
        return out;
    }

    private static double tokensPerSecond(List<BenchRunner.Run> runs) {
        long tokens = 0;
        double seconds = 0;
        for (BenchRunner.Run r : runs) {
            tokens += r.result().totalTokens();
            seconds += r.result().elapsedSeconds();
        }
        return seconds > 0 ? tokens / seconds : 0;
    }
}
