package rsd.decode;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * Turns logits into the distribution that generation samples from (temperature, then top-k, then top-p),
 * and draws from it. Every mode applies exactly this transform to the target model's logits, so
 * speculative sampling reproduces the distribution of plain sampling.
 */
public final class Sampler {
    private Sampler() {
    }

    /** Index of the largest logit; ties go to the lowest index so every mode picks the same token. */
    public static int argmax(float[] logits) {
        int best = 0;
        float bestValue = logits[0];
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > bestValue) {
                bestValue = logits[i];
                best = i;
            }
        }
        return best;
    }

    /**
     * The sampling distribution for {@code logits} under the settings' temperature (> 0), top-k (0 = off)
     * and top-p (1 = off). Returns a fresh array of probabilities summing to 1.
     */
    public static float[] distribution(float[] logits, GenerationSettings settings) {
        return distribution(logits, settings.temperature(), settings.topK(), settings.topP());
    }

    public static float[] distribution(float[] logits, float temperature, int topK, float topP) {
        int n = logits.length;
        float max = Float.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        float[] p = new float[n];
        double sum = 0;
        float invT = 1f / temperature;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp((logits[i] - max) * invT);
            p[i] = e;
            sum += e;
        }
        scale(p, sum);
        boolean useTopK = topK > 0 && topK < n;
        boolean useTopP = topP > 0f && topP < 1f;
        if (!useTopK && !useTopP) {
            return p;
        }
        int[] order = topCandidates(p, useTopK ? topK : 0, useTopP ? topP : 1f);
        int keep = useTopK ? Math.min(topK, order.length) : order.length;
        if (useTopP) {
            // Top-p works on the distribution left after top-k, renormalised (as llama.cpp chains them).
            // Without top-k, the candidates are only a part of the distribution, whose mass is 1.
            double kMass = useTopK ? 0 : 1;
            for (int i = 0; useTopK && i < keep; i++) {
                kMass += p[order[i]];
            }
            double cumulative = 0;
            for (int i = 0; i < keep; i++) {
                cumulative += p[order[i]];
                if (cumulative >= topP * kMass) {
                    keep = i + 1;
                    break;
                }
            }
        }
        float[] filtered = new float[n];
        double kept = 0;
        for (int i = 0; i < keep; i++) {
            filtered[order[i]] = p[order[i]];
            kept += p[order[i]];
        }
        scale(filtered, kept);
        return filtered;
    }

    /**
     * The likeliest tokens in descending order of probability (ties: lower id first), enough of them to
     * hold the top {@code k} (0: no such need) and a mass of at least {@code topP}. Only tokens above a
     * threshold are sorted, the threshold lowered until the set is big enough: sorting a whole 128k
     * vocabulary at every verified position would cost as much as the forward pass of a small model.
     */
    static int[] topCandidates(float[] p, int k, float topP) {
        float max = 0;
        for (float v : p) {
            max = Math.max(max, v);
        }
        float threshold = max / 64;
        while (true) {
            int count = 0;
            double mass = 0;
            for (float v : p) {
                if (v >= threshold) {
                    count++;
                    mass += v;
                }
            }
            boolean enough = (k <= 0 || count >= k) && (topP >= 1f || mass >= topP);
            if (enough || threshold == 0f) {
                long[] keys = new long[count];
                int j = 0;
                for (int i = 0; i < p.length; i++) {
                    if (p[i] >= threshold) {
                        // Non-negative floats order like their bits: key sorts by descending p, then id.
                        keys[j++] = ((long) (Integer.MAX_VALUE - Float.floatToIntBits(p[i])) << 32) | i;
                    }
                }
                Arrays.sort(keys);
                int[] order = new int[count];
                for (int i = 0; i < count; i++) {
                    order[i] = (int) keys[i];
                }
                return order;
            }
            threshold = threshold < 1e-30f ? 0f : threshold / 64;
        }
    }

    /** Draws an index from probabilities {@code p} (summing to about 1). */
    public static int sample(float[] p, RandomGenerator random) {
        double u = random.nextDouble();
        double cumulative = 0;
        int lastPositive = -1;
        for (int i = 0; i < p.length; i++) {
            if (p[i] > 0) {
                cumulative += p[i];
                lastPositive = i;
                if (u < cumulative) {
                    return i;
                }
            }
        }
        // Rounding left u above the total: the last token with any mass is the right answer.
        return lastPositive >= 0 ? lastPositive : 0;
    }

    /** Normalises {@code p} in place; returns false (leaving p alone) when it has no mass. */
    static boolean normalise(float[] p) {
        double sum = 0;
        for (float v : p) {
            sum += v;
        }
        if (!(sum > 0)) {
            return false;
        }
        scale(p, sum);
        return true;
    }

    private static void scale(float[] p, double sum) {
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < p.length; i++) {
            p[i] *= inv;
        }
    }
}
