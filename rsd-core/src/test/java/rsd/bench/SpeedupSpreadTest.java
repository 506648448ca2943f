package rsd.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import rsd.decode.GenerationResult;

class SpeedupSpreadTest {
    private static final Problem P1 = new Problem("p1", "def f():\n", "python", List.of());
    private static final Problem P2 = new Problem("p2", "def g():\n", "python", List.of());

    /** A run of {@code tokens} tokens whose repeats took these seconds (the median one is the result). */
    private static BenchRunner.Run run(Problem p, String mode, int tokens, double... seconds) {
        double[] sorted = seconds.clone();
        java.util.Arrays.sort(sorted);
        double median = sorted[(sorted.length - 1) / 2];
        GenerationResult r = new GenerationResult("", new int[tokens], 1, tokens, median, tokens / median, tokens, 1.0,
                0, 0, 0.0, Map.of(), "length", List.of());
        List<Double> list = new ArrayList<>();
        for (double s : seconds) {
            list.add(s);
        }
        return new BenchRunner.Run(p, mode, r, true, list);
    }

    @Test
    void eachRoundComparesTheModeWithStandardInTheSameRound() {
        List<BenchRunner.Run> runs = List.of(
                run(P1, "standard", 100, 1.0, 2.0, 1.0), run(P1, "fast", 100, 0.5, 1.0, 0.8),
                run(P2, "standard", 100, 1.0, 2.0, 1.0), run(P2, "fast", 100, 0.5, 1.0, 0.2));
        List<SpeedupSpread> spreads = SpeedupSpread.of(runs);
        assertThat(spreads).extracting(SpeedupSpread::mode).containsExactly("standard", "fast");
        SpeedupSpread standard = spreads.get(0);
        assertThat(standard.min()).isEqualTo(1.0);
        assertThat(standard.max()).isEqualTo(1.0);
        SpeedupSpread fast = spreads.get(1);
        // rounds: 2/1 = 2.0, 4/2 = 2.0, 2/1.0 = 2.0 -> all 2x, though standard itself was twice as slow in round 2
        assertThat(fast.repeats()).isEqualTo(3);
        assertThat(fast.min()).isCloseTo(2.0, within(1e-9));
        assertThat(fast.max()).isCloseTo(2.0, within(1e-9));
        assertThat(SpeedupSpread.fastest(spreads)).isEqualTo("fast");
        assertThat(BenchTable.spread(spreads)).contains("fast 2.000-2.000x", "fastest: fast");
    }

    @Test
    void overlappingSpeedupsNameNoFastestMode() {
        List<BenchRunner.Run> runs = List.of(
                run(P1, "standard", 100, 1.0, 1.0, 1.0),
                run(P1, "a", 100, 0.8, 0.9, 0.7),
                run(P1, "b", 100, 0.85, 0.75, 0.95));
        List<SpeedupSpread> spreads = SpeedupSpread.of(runs);
        assertThat(spreads.get(1).min()).isCloseTo(1 / 0.9, within(1e-9));
        assertThat(spreads.get(1).max()).isCloseTo(1 / 0.7, within(1e-9));
        assertThat(SpeedupSpread.fastest(spreads)).isNull();
        assertThat(BenchTable.spread(spreads)).contains("no mode named fastest", "overlap").doesNotContainPattern("(?m)^fastest:");
    }

    @Test
    void aModeInsideStandardsNoiseIsNotFastest() {
        List<BenchRunner.Run> runs = List.of(run(P1, "standard", 100, 1.0, 1.0, 1.0), run(P1, "a", 100, 0.9, 1.05, 0.95));
        assertThat(SpeedupSpread.fastest(SpeedupSpread.of(runs))).isNull();
    }

    @Test
    void fewerThanThreeRepeatsNameNoFastestMode() {
        List<BenchRunner.Run> once = List.of(run(P1, "standard", 100, 1.0), run(P1, "a", 100, 0.1));
        List<SpeedupSpread> spreads = SpeedupSpread.of(once);
        assertThat(spreads.get(1).min()).isCloseTo(10.0, within(1e-9));
        assertThat(SpeedupSpread.fastest(spreads)).isNull();
        assertThat(BenchTable.spread(spreads)).contains("1 repeat cannot measure", "--repeat 3");
        assertThat(SpeedupSpread.standardSeconds(once)).isEqualTo(1.0);
    }

    @Test
    void withoutStandardThereIsNoSpread() {
        assertThat(SpeedupSpread.of(List.of(run(P1, "a", 10, 1.0)))).isEmpty();
    }
}
