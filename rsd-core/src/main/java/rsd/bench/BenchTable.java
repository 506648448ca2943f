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
        sb.append(System.lineSeparator()).append(steps(modes));
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

    /**
     * The speed-ups' run-to-run spread and the verdict it allows: a mode is named fastest only when its
     * slowest repeat beats every other mode's fastest; with one or two repeats the noise is not measured.
     */
    public static String spread(List<SpeedupSpread> spreads) {
        StringBuilder sb = new StringBuilder();
        if (spreads.isEmpty()) {
            return "";
        }
        int repeats = spreads.get(0).repeats();
        if (repeats > 1) {
            sb.append(String.format(Locale.ROOT, "speed-up vs standard over %d repeats, min-max:", repeats));
            for (SpeedupSpread s : spreads) {
                if (!s.mode().equals("standard")) {
                    sb.append(String.format(Locale.ROOT, "  %s %.3f-%.3fx", s.mode(), s.min(), s.max()));
                }
            }
            sb.append(System.lineSeparator());
        }
        String fastest = SpeedupSpread.fastest(spreads);
        if (repeats < SpeedupSpread.MIN_REPEATS_FOR_VERDICT) {
            sb.append(String.format(Locale.ROOT, "no mode named fastest: %d repeat%s cannot measure the run-to-run noise "
                    + "(--repeat %d or more can)%n", repeats, repeats == 1 ? "" : "s", SpeedupSpread.MIN_REPEATS_FOR_VERDICT));
        } else if (fastest == null) {
            sb.append("no mode named fastest: the best speed-ups overlap within the run-to-run noise" + System.lineSeparator());
        } else {
            sb.append("fastest: " + fastest + " (its slowest repeat beats every other mode's fastest)" + System.lineSeparator());
        }
        return sb.toString();
    }

    /**
     * Where each mode's time went: prefill and set-up (elapsed minus the decode steps, the same work in
     * every mode), the decode steps, their speed-up alone, and the mean in-run time of a step by forward
     * size T (count in brackets): the cost curve the mode really met.
     */
    static String steps(List<ModeSummary> modes) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-10s %10s %8s %10s  %s%n", "mode", "prefill_s", "steps_s", "steps_x",
                "mean step ms by forward size T (steps)"));
        double standardPerToken = modes.stream().filter(m -> m.mode().equals("standard") && m.totalTokens() > 0)
                .mapToDouble(m -> m.stepSeconds() / m.totalTokens()).findFirst().orElse(0);
        for (ModeSummary m : modes) {
            double perToken = m.totalTokens() == 0 ? 0 : m.stepSeconds() / m.totalTokens();
            String speedup = standardPerToken > 0 && perToken > 0
                    ? String.format(Locale.ROOT, "%.3fx", standardPerToken / perToken) : "n/a";
            StringBuilder curve = new StringBuilder();
            m.stepMillisBySize().forEach((t, ms) -> curve.append(String.format(Locale.ROOT, "%s%d: %.2f (%d)",
                    curve.isEmpty() ? "" : "  ", t, ms, m.forwardSizes().get(t))));
            sb.append(String.format(Locale.ROOT, "%-10s %10.2f %8.2f %10s  %s%n", m.mode(),
                    Math.max(0, m.elapsedSeconds() - m.stepSeconds()), m.stepSeconds(), speedup, curve));
        }
        return sb.toString();
    }
}
