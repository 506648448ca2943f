package rsd.bench;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import rsd.metrics.RuleStats;

/** The benchmark's plain-text table: one row per mode, then acceptance per rule. */
public final class BenchTable {
    private BenchTable() {
    }

    public static String format(List<ModeSummary> modes) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %8s %8s %9s %8s %8s %8s %8s %9s %8s %9s%n", "mode", "problems",
                "tokens", "time_s", "tok/s", "speedup", "forwards", "tok/fwd", "drafted", "accept", "identical"));
        for (ModeSummary m : modes) {
            String identical = m.identicalToStandard() == null ? "n/a"
                    : m.identicalToStandard() ? "yes" : "NO (" + m.differingProblems() + ")";
            sb.append(String.format(Locale.ROOT, "%-10s %8d %8d %9.2f %8.2f %7.3fx %8d %8.3f %9d %7.1f%% %9s%n",
                    m.mode(), m.problems(), m.totalTokens(), m.elapsedSeconds(), m.tokensPerSecond(),
                    m.speedupVsStandard(), m.forwardPasses(), m.tokensPerForward(), m.draftedTokens(),
                    100 * m.acceptanceRate(), identical));
        }
        Map<String, RuleStats> rules = new TreeMap<>();
        Map<String, Long> tokens = new TreeMap<>();
        for (ModeSummary m : modes) {
            m.perRule().forEach((rule, s) -> {
                rules.put(m.mode() + "/" + rule, s);
                tokens.put(m.mode() + "/" + rule, m.totalTokens());
            });
        }
        if (!rules.isEmpty()) {
            sb.append(System.lineSeparator());
            // saved/100: forward passes saved per 100 generated tokens (one per accepted guessed token)
            sb.append(String.format(Locale.ROOT, "%-24s %9s %9s %8s %10s%n", "mode/rule", "drafted", "accepted", "accept",
                    "saved/100"));
            rules.forEach((name, s) -> sb.append(String.format(Locale.ROOT, "%-24s %9d %9d %7.1f%% %10.1f%n", name,
                    s.drafted(), s.accepted(), 100 * s.acceptanceRate(),
                    tokens.get(name) == 0 ? 0.0 : 100.0 * s.accepted() / tokens.get(name))));
        }
        return sb.toString();
    }
}
