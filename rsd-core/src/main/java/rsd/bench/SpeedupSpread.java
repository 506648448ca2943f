package rsd.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How far a mode's speed-up over standard decoding moved between repeats: for each round (every problem
 * once, all modes interleaved), the mode's tokens / time over standard's in that same round; min and max
 * over the rounds. A mode is called fastest only when its slowest round beats every other mode's fastest
 * (standard counts as 1.0): otherwise the difference is inside the run-to-run noise.
 */
public record SpeedupSpread(String mode, int repeats, double min, double max) {
    /** Repeats needed before any mode is called fastest: with fewer, the noise is not measured. */
    public static final int MIN_REPEATS_FOR_VERDICT = 3;
    /** Standard decoding's total time below which a run is too short for its timings to mean much. */
    public static final double MIN_STANDARD_SECONDS = 2.0;

    /** Every mode's spread, in the order the modes first appear; empty without a standard mode. */
    public static List<SpeedupSpread> of(List<BenchRunner.Run> runs) {
        Map<String, long[]> tokens = new LinkedHashMap<>();
        Map<String, double[]> seconds = new LinkedHashMap<>();
        int repeats = runs.stream().mapToInt(r -> r.repeatSeconds().size()).min().orElse(0);
        for (BenchRunner.Run r : runs) {
            tokens.computeIfAbsent(r.mode(), m -> new long[1])[0] += r.result().totalTokens();
            double[] s = seconds.computeIfAbsent(r.mode(), m -> new double[repeats]);
            for (int i = 0; i < repeats; i++) {
                s[i] += r.repeatSeconds().get(i);
            }
        }
        if (!tokens.containsKey("standard") || repeats == 0) {
            return List.of();
        }
        long standardTokens = tokens.get("standard")[0];
        double[] standardSeconds = seconds.get("standard");
        List<SpeedupSpread> out = new ArrayList<>();
        tokens.forEach((mode, t) -> {
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < repeats; i++) {
                double s = seconds.get(mode)[i];
                double speedup = s > 0 && standardTokens > 0 && standardSeconds[i] > 0
                        ? (t[0] / s) / (standardTokens / standardSeconds[i]) : 0;
                min = Math.min(min, speedup);
                max = Math.max(max, speedup);
            }
            out.add(new SpeedupSpread(mode, repeats, min, max));
        });
        return out;
    }

    /**
     * The mode whose slowest round beats every other mode's fastest round, or null: none does, or there
     * are fewer than {@link #MIN_REPEATS_FOR_VERDICT} repeats to tell the noise.
     */
    public static String fastest(List<SpeedupSpread> spreads) {
        if (spreads.isEmpty() || spreads.get(0).repeats() < MIN_REPEATS_FOR_VERDICT) {
            return null;
        }
        SpeedupSpread best = null;
        for (SpeedupSpread s : spreads) {
            if (best == null || s.min() > best.min()) {
                best = s;
            }
        }
        for (SpeedupSpread s : spreads) {
            if (s != best && s.max() >= best.min()) {
                return null;
            }
        }
        return best.mode();
    }

    /** Standard decoding's total median time, the base of every speed-up. */
    public static double standardSeconds(List<BenchRunner.Run> runs) {
        return runs.stream().filter(r -> r.mode().equals("standard")).mapToDouble(r -> r.result().elapsedSeconds()).sum();
    }
}
