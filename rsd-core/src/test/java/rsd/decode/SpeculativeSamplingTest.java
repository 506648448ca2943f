package rsd.decode;

import static org.assertj.core.api.Assertions.assertThat;


import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.draft.DraftModelDrafter;
import rsd.testing.ChiSquare;
import rsd.testing.FakeModel;
import rsd.testing.FakeTokenizer;
import rsd.testing.OracleDrafter;

/**
 * Lossless sampling: the joint distribution of the first two generated tokens under speculative sampling
 * must match the exact distribution of plain sampling (computed from the model's logits through the same
 * transform), by a chi-square goodness-of-fit test at a fixed significance level over thousands of
 * seeded runs. A deliberately broken acceptance rule must fail the same test.
 */
class SpeculativeSamplingTest {
    static final double ALPHA = 1e-3;
    static final int RUNS = 12_000;
    static final FakeTokenizer TOKENIZER = FakeTokenizer.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
    static final int V = TOKENIZER.vocabSize();
    static final int[] PROMPT = {0, 4, 7};

    static FakeModel target() {
        return new FakeModel(V, 64, 21, 3f, -100f);
    }

    static double[] exactJoint(FakeModel m, GenerationSettings s) {
        List<Integer> h = new ArrayList<>(List.of(0, 4, 7));
        float[] p1 = Sampler.distribution(m.logitsAfter(h), s);
        double[] joint = new double[V * V];
        for (int a = 0; a < V; a++) {
            if (p1[a] == 0) {
                continue;
            }
            List<Integer> h2 = new ArrayList<>(h);
            h2.add(a);
            float[] p2 = Sampler.distribution(m.logitsAfter(h2), s);
            for (int b = 0; b < V; b++) {
                joint[a * V + b] = (double) p1[a] * p2[b];
            }
        }
        return joint;
    }

    static ChiSquare.Result run(FakeModel m, Decoder decoder, GenerationSettings base) {
        long[] counts = new long[V * V];
        for (int seed = 0; seed < RUNS; seed++) {
            GenerationSettings s = new GenerationSettings(3, base.temperature(), base.topK(), base.topP(), seed, List.of());
            int[] ids = decoder.generate(PROMPT, s, null, null).tokenIds();
            counts[ids[0] * V + ids[1]]++;
        }
        return ChiSquare.test(counts, exactJoint(m, base));
    }

    static final GenerationSettings T1 = new GenerationSettings(3, 1.0f, 0, 1f, 0, List.of());
    static final GenerationSettings FILTERED = new GenerationSettings(3, 0.8f, 6, 0.9f, 0, List.of());

    @Test
    void plainSamplingPassesTheTest() {
        FakeModel m = target();
        assertThat(run(m, new Decoder(m, TOKENIZER, null, "standard"), T1).pValue()).isGreaterThan(ALPHA);
    }

    @Test
    void deterministicGuessesKeepTheDistribution() {
        for (GenerationSettings s : List.of(T1, FILTERED)) {
            FakeModel m = target();
            Speculator spec = new SingleDrafterSpeculator(new OracleDrafter(m, 0.3, 1, "oracle"), 2);
            Decoder d = new Decoder(m, TOKENIZER, spec, "oracle");
            ChiSquare.Result r = run(m, d, s);
            assertThat(r.pValue()).as("chi2 %s", r).isGreaterThan(ALPHA);
        }
    }

    /** Two sibling branches at the root (the model's two favourite tokens), to test the sibling rule. */
    static final class TwoBranches implements Speculator {
        final FakeModel m;

        TwoBranches(FakeModel m) {
            this.m = m;
        }

        @Override
        public List<Draft> propose(DraftContext context, int maxTokens) {
            List<Integer> h = new ArrayList<>();
            for (int i = 0; i < context.length(); i++) {
                h.add(context.token(i));
            }
            float[] logits = m.logitsAfter(h);
            int first = Sampler.argmax(logits);
            float[] rest = logits.clone();
            rest[first] = Float.NEGATIVE_INFINITY;
            int second = Sampler.argmax(rest);
            h.add(second);
            int next = Sampler.argmax(m.logitsAfter(h));
            return List.of(Draft.of("one", first), Draft.of("two", second, next).tokens().length > maxTokens
                    ? Draft.of("two", second) : Draft.of("two", second, next));
        }

        @Override
        public void observe(List<Draft> branches, int chosenBranch, int accepted) {
        }
    }

    @Test
    void siblingGuessesInATreeKeepTheDistribution() {
        for (GenerationSettings s : List.of(T1, FILTERED)) {
            FakeModel m = target();
            Decoder d = new Decoder(m, TOKENIZER, new TwoBranches(m), "tree");
            ChiSquare.Result r = run(m, d, s);
            assertThat(m.treeCalls).isPositive();
            assertThat(r.pValue()).as("chi2 %s", r).isGreaterThan(ALPHA);
        }
    }

    @Test
    void draftModelSpeculationKeepsTheDistribution() {
        for (GenerationSettings s : List.of(T1, FILTERED)) {
            FakeModel m = target();
            FakeModel draft = new FakeModel(V, 64, 99, 3f, -100f);
            Speculator spec = new SingleDrafterSpeculator(new DraftModelDrafter(draft, 64), 2);
            Decoder d = new Decoder(m, TOKENIZER, spec, "draft");
            ChiSquare.Result r = run(m, d, s);
            assertThat(r.pValue()).as("chi2 %s", r).isGreaterThan(ALPHA);
        }
    }

    @Test
    void sameSeedSameModeSameOutput() {
        FakeModel m = target();
        FakeModel draft = new FakeModel(V, 64, 99, 3f, -100f);
        Decoder d = new Decoder(m, TOKENIZER, new SingleDrafterSpeculator(new DraftModelDrafter(draft, 64), 3), "draft");
        GenerationSettings s = new GenerationSettings(30, 0.9f, 0, 1f, 1234, List.of());
        int[] first = d.generate(PROMPT, s, null, null).tokenIds();
        for (int i = 0; i < 3; i++) {
            assertThat(d.generate(PROMPT, s, null, null).tokenIds()).isEqualTo(first);
        }
    }

    @Test
    void aBrokenAcceptanceRuleFailsTheTest() {
        // Accepting every guess (a classic bug) skews the output towards the drafter's guesses.
        Verifier.AcceptanceRule alwaysAccept = (p, q, x, random) -> true;
        FakeModel m = target();
        Decoder broken = new Decoder(m, TOKENIZER,
                new SingleDrafterSpeculator(new OracleDrafter(m, 0.3, 1, "oracle"), 2), "broken", alwaysAccept);
        assertThat(run(m, broken, T1).pValue()).isLessThan(ALPHA);

        // A subtler bug: accepting with probability q(x)/p(x) instead of p(x)/q(x).
        Verifier.AcceptanceRule inverted = (p, q, x, random) ->
                random.nextDouble() < Math.min(1.0, q == null ? 1.0 : q[x] / Math.max(p[x], 1e-9));
        FakeModel m2 = target();
        Decoder invertedDecoder = new Decoder(m2, TOKENIZER, new SingleDrafterSpeculator(
                new DraftModelDrafter(new FakeModel(V, 64, 99, 3f, -100f), 64), 2), "inverted", inverted);
        assertThat(run(m2, invertedDecoder, T1).pValue()).isLessThan(ALPHA);
    }

    @Test
    void chiSquarePValuesMatchTables() {
        // Critical values at 5 %: df 1 -> 3.841, df 10 -> 18.307; at 0.1 %: df 99 -> 148.23.
        assertThat(ChiSquareProbe.p(3.841, 1)).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(ChiSquareProbe.p(18.307, 10)).isCloseTo(0.05, org.assertj.core.data.Offset.offset(1e-3));
        assertThat(ChiSquareProbe.p(148.23, 99)).isCloseTo(0.001, org.assertj.core.data.Offset.offset(2e-4));
    }

    /** Reaches the p-value function through a synthetic test statistic. */
    static final class ChiSquareProbe {
        static double p(double statistic, int df) {
            // df + 1 equiprobable bins, all deviation in the first two: build counts giving the statistic.
            int bins = df + 1;
            double n = 1e6;
            double e = n / bins;
            double d = Math.sqrt(statistic * e / 2);
            long[] obs = new long[bins];
            double[] prob = new double[bins];
            for (int i = 0; i < bins; i++) {
                obs[i] = Math.round(e);
                prob[i] = 1.0 / bins;
            }
            obs[0] = Math.round(e + d);
            obs[1] = Math.round(e - d);
            return ChiSquare.test(obs, prob).pValue();
        }
    }
}
