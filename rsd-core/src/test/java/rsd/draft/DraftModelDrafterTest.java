package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;


import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.GenerationSettings;
import rsd.decode.Sampler;
import rsd.testing.FakeModel;
import rsd.testing.FakeTokenizer;
import rsd.tokenizer.Tokenizer;

class DraftModelDrafterTest {
    static final FakeTokenizer TOK = FakeTokenizer.of("a", "b", "c", "d", "e", "f", "g", "h");

    record IdsContext(List<Integer> ids) implements DraftContext {
        public int length() {
            return ids.size();
        }

        public int token(int i) {
            return ids.get(i);
        }

        public int[] lastTokens(int n) {
            return ids.subList(Math.max(0, ids.size() - n), ids.size()).stream().mapToInt(Integer::intValue).toArray();
        }

        public int promptLength() {
            return 1;
        }

        public CharSequence text() {
            return "";
        }

        public Tokenizer tokenizer() {
            return TOK;
        }
    }

    static int[] greedyContinuation(FakeModel m, List<Integer> ctx, int k) {
        List<Integer> h = new ArrayList<>(ctx);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = Sampler.argmax(m.logitsAfter(h));
            h.add(out[i]);
        }
        return out;
    }

    @Test
    void greedyDraftsFollowTheDraftModelAndItsCacheStaysInSync() {
        FakeModel draft = new FakeModel(TOK.vocabSize(), 128, 5, 4f, -100f);
        DraftModelDrafter d = new DraftModelDrafter(draft, 128);
        d.startSequence(GenerationSettings.greedy(50));
        List<Integer> ctx = new ArrayList<>(List.of(0, 3, 4, 5));
        long refeedAll = 0;
        for (int step = 0; step < 12; step++) {
            Draft proposal = d.propose(new IdsContext(ctx), 4);
            refeedAll += ctx.size() + 3;
            assertThat(proposal.tokens()).isEqualTo(greedyContinuation(draft, ctx, 4));
            assertThat(proposal.probabilities()).isNull();
            assertThat(proposal.rules()).containsOnly("draft");
            // Accept a varying prefix, then a token of "the target" that may differ from the draft's.
            int keep = step % 5;
            for (int i = 0; i < Math.min(keep, 4); i++) {
                ctx.add(proposal.tokens()[i]);
            }
            ctx.add(2 + (step * 3) % 8);
        }
        // Incremental: each step feeds only the tokens added since the last one (plus its own guesses),
        // far fewer positions than re-feeding the whole context every step.
        assertThat(draft.positions).isLessThan(refeedAll / 2);
        assertThat(d.forwardPasses()).isEqualTo(12 * 4);
    }

    @Test
    void sampledDraftsCarryTheirDistribution() {
        FakeModel draft = new FakeModel(TOK.vocabSize(), 128, 5, 4f, -100f);
        DraftModelDrafter d = new DraftModelDrafter(draft, 128);
        GenerationSettings s = new GenerationSettings(10, 0.7f, 0, 1f, 42, List.of());
        d.startSequence(s);
        List<Integer> ctx = List.of(0, 3, 4);
        Draft proposal = d.propose(new IdsContext(ctx), 3);
        assertThat(proposal.probabilities()).hasNumberOfRows(3);
        float[] q0 = Sampler.distribution(draft.logitsAfter(ctx), s);
        assertThat(proposal.probabilities()[0]).containsExactly(q0);
        for (int i = 0; i < 3; i++) {
            assertThat(proposal.probabilities()[i][proposal.tokens()[i]]).isPositive();
        }
        // Same seed, same drafts.
        DraftModelDrafter again = new DraftModelDrafter(draft, 128);
        again.startSequence(s);
        assertThat(again.propose(new IdsContext(ctx), 3).tokens()).isEqualTo(proposal.tokens());
    }

    @Test
    void noDraftBeyondTheContext() {
        FakeModel draft = new FakeModel(TOK.vocabSize(), 6, 5, 4f, -100f);
        DraftModelDrafter d = new DraftModelDrafter(draft, 6);
        assertThat(d.propose(new IdsContext(List.of(0, 2, 3, 4)), 5).size()).isEqualTo(2);
        assertThat(d.propose(new IdsContext(List.of(0, 2, 3, 4, 5, 6)), 5).isEmpty()).isTrue();
    }

    /** The draft model's confidence in each of its k greedy tokens after ctx. */
    static double[] confidences(FakeModel m, List<Integer> ctx, int[] greedy) {
        double[] conf = new double[greedy.length];
        List<Integer> h = new ArrayList<>(ctx);
        for (int i = 0; i < greedy.length; i++) {
            float[] logits = m.logitsAfter(h);
            conf[i] = DraftModelDrafter.topProbability(logits, greedy[i]);
            assertThat(conf[i]).isCloseTo(Sampler.distribution(logits, 1f, 0, 1f)[greedy[i]], org.assertj.core.data.Offset.offset(1e-5));
            h.add(greedy[i]);
        }
        return conf;
    }

    @Test
    void aConfidenceFloorStopsBeforeTheFirstUnsureToken() {
        List<Integer> ctx = new ArrayList<>(List.of(0, 3, 4, 5));
        // a fake draft model whose first guess is not its least sure one, so floors cut at several places
        FakeModel draft = null;
        int[] full = null;
        double[] conf = null;
        for (long salt = 1; draft == null; salt++) {
            FakeModel m = new FakeModel(TOK.vocabSize(), 128, salt, 4f, -100f);
            int[] g = greedyContinuation(m, ctx, 6);
            double[] c = confidences(m, ctx, g);
            if (c[0] > java.util.Arrays.stream(c).min().orElseThrow() + 1e-3) {
                draft = m;
                full = g;
                conf = c;
            }
        }
        List<Double> floors = new ArrayList<>(List.of(0.0));
        for (double c : conf) {
            floors.add(c);          // a token exactly at the floor is still drafted
            floors.add(c + 1e-6);   // just above: the draft stops before it
        }
        java.util.Set<Integer> sizes = new java.util.HashSet<>();
        for (double floor : floors) {
            int expected = 0;
            while (expected < 6 && (floor == 0 || conf[expected] >= floor)) {
                expected++;
            }
            DraftModelDrafter d = new DraftModelDrafter(draft, 128, floor);
            d.startSequence(GenerationSettings.greedy(50));
            Draft proposal = d.propose(new IdsContext(ctx), 6);
            assertThat(proposal.size()).as("p_min %s, confidences %s", floor, java.util.Arrays.toString(conf)).isEqualTo(expected);
            assertThat(proposal.tokens()).isEqualTo(java.util.Arrays.copyOf(full, expected));
            sizes.add(proposal.size());
        }
        assertThat(sizes).as("the floors must cut the draft at different places").hasSizeGreaterThanOrEqualTo(3);
        FakeModel any = draft;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new DraftModelDrafter(any, 128, 1.0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
