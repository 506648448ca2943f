package rsd.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SamplerTest {
    /** The obvious implementation: sort every token, cut at k, then at the renormalised top-p mass. */
    static float[] reference(float[] logits, float temperature, int topK, float topP) {
        int n = logits.length;
        double max = Arrays.stream(IntStream.range(0, n).mapToDouble(i -> logits[i]).toArray()).max().orElse(0);
        double[] e = new double[n];
        double sum = 0;
        for (int i = 0; i < n; i++) {
            e[i] = Math.exp((logits[i] - max) / temperature);
            sum += e[i];
        }
        double[] p = new double[n];
        for (int i = 0; i < n; i++) {
            p[i] = e[i] / sum;
        }
        Integer[] order = IntStream.range(0, n).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -p[i]).thenComparingInt(i -> i));
        int keep = topK > 0 ? Math.min(topK, n) : n;
        double kMass = 0;
        for (int i = 0; i < keep; i++) {
            kMass += p[order[i]];
        }
        if (topP < 1f) {
            double c = 0;
            for (int i = 0; i < keep; i++) {
                c += p[order[i]];
                if (c >= topP * kMass) {
                    keep = i + 1;
                    break;
                }
            }
        }
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            kept += p[order[i]];
        }
        float[] out = new float[n];
        for (int i = 0; i < keep; i++) {
            out[order[i]] = (float) (p[order[i]] / kept);
        }
        return out;
    }

    @Test
    void filteredDistributionsMatchTheObviousImplementation() {
        SplittableRandom r = new SplittableRandom(3);
        int boundaryCases = 0;
        for (int trial = 0; trial < 300; trial++) {
            int n = 5 + r.nextInt(3000);
            float[] logits = new float[n];
            float spread = (float) (0.5 + r.nextDouble() * 12);
            for (int i = 0; i < n; i++) {
                logits[i] = (float) (r.nextGaussian() * spread);
            }
            float t = (float) (0.2 + r.nextDouble() * 1.5);
            int k = r.nextInt(4) == 0 ? 0 : 1 + r.nextInt(Math.min(n, 60));
            float topP = r.nextInt(3) == 0 ? 1f : (float) (0.05 + r.nextDouble() * 0.94);
            float[] got = Sampler.distribution(logits, t, k, topP);
            float[] want = reference(logits, t, k, topP);
            int gotSupport = 0;
            int wantSupport = 0;
            for (int i = 0; i < n; i++) {
                gotSupport += got[i] > 0 ? 1 : 0;
                wantSupport += want[i] > 0 ? 1 : 0;
            }
            if (gotSupport != wantSupport) {
                // Only float-vs-double rounding right at the top-p cut may move it, and by one token.
                assertThat(Math.abs(gotSupport - wantSupport)).as("trial %d", trial).isEqualTo(1);
                assertThat(topP).isLessThan(1f);
                assertThat(cutMargin(logits, t, k, topP, Math.min(gotSupport, wantSupport))).as("trial %d", trial)
                        .isLessThan(1e-5);
                boundaryCases++;
                continue;
            }
            for (int i = 0; i < n; i++) {
                assertThat((double) got[i]).as("trial %d token %d (n=%d k=%d p=%f)", trial, i, n, k, topP)
                        .isCloseTo(want[i], org.assertj.core.data.Offset.offset(2e-4));
            }
        }
        assertThat(boundaryCases).isLessThan(10);
    }

    /** How far the mass of the first {@code m} tokens (of the top-k, renormalised) is from the top-p cut. */
    static double cutMargin(float[] logits, float t, int k, float topP, int m) {
        float[] full = reference(logits, t, k, 1f);
        double[] sorted = IntStream.range(0, full.length).mapToDouble(i -> full[i]).filter(v -> v > 0)
                .map(v -> -v).sorted().map(v -> -v).toArray();
        double c = 0;
        for (int i = 0; i < m; i++) {
            c += sorted[i];
        }
        return Math.abs(c - topP);
    }

    @Test
    void tiesKeepTheLowerIdAndArgmaxPicksTheFirst() {
        float[] logits = {1f, 3f, 3f, 0f};
        assertThat(Sampler.argmax(logits)).isEqualTo(1);
        float[] p = Sampler.distribution(logits, 1f, 1, 1f);
        assertThat(p[1]).isEqualTo(1f);
        assertThat(p[2]).isZero();
    }

    @Test
    void samplingFollowsTheDistribution() {
        float[] p = {0.1f, 0f, 0.6f, 0.3f};
        int[] counts = new int[4];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 100_000; i++) {
            counts[Sampler.sample(p, r)]++;
        }
        assertThat(counts[1]).isZero();
        assertThat(counts[0] / 1e5).isCloseTo(0.1, org.assertj.core.data.Offset.offset(0.01));
        assertThat(counts[2] / 1e5).isCloseTo(0.6, org.assertj.core.data.Offset.offset(0.01));
    }
}
