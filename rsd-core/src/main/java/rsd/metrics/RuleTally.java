package rsd.metrics;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Running drafted/accepted counts per rule; a generation fills one, a benchmark sums them. */
public final class RuleTally {
    private final Map<String, long[]> counts = new TreeMap<>();

    public void drafted(String rule, long n) {
        counts.computeIfAbsent(rule, r -> new long[2])[0] += n;
    }

    public void accepted(String rule, long n) {
        counts.computeIfAbsent(rule, r -> new long[2])[1] += n;
    }

    public void add(Map<String, RuleStats> stats) {
        stats.forEach((rule, s) -> {
            drafted(rule, s.drafted());
            accepted(rule, s.accepted());
        });
    }

    public long totalDrafted() {
        return counts.values().stream().mapToLong(c -> c[0]).sum();
    }

    public long totalAccepted() {
        return counts.values().stream().mapToLong(c -> c[1]).sum();
    }

    /** An immutable snapshot, rules in name order. */
    public Map<String, RuleStats> snapshot() {
        Map<String, RuleStats> out = new TreeMap<>();
        counts.forEach((rule, c) -> out.put(rule, new RuleStats(c[0], c[1])));
        return Collections.unmodifiableMap(out);
    }
}
