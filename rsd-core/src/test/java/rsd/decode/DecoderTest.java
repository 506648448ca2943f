package rsd.decode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;


import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import rsd.error.RsdException;
import rsd.metrics.RuleStats;
import rsd.metrics.StepTrace;
import rsd.testing.FakeModel;
import rsd.testing.FakeTokenizer;
import rsd.testing.OracleDrafter;

class DecoderTest {
    static final FakeTokenizer TOKENIZER = FakeTokenizer.of("a", "b", "c", "d", "e", "f", "g", "h", " ", "\n",
            ":", "(", ")", "=", "x", "y", "ab", "cd", "   ", "\n\n", "return", "def", " x", "0", "1", "2", "3",
            "4", "5", "6", "7", "8", "9", "é", "#", ".");
    static final int[] PROMPT = {0, 23, 4, 5, 12, 11, 13};

    static FakeModel model() {
        return new FakeModel(TOKENIZER.vocabSize(), 512, 7, 6f, -100f);
    }

    /** Greedy decoding computed directly from the fake's logits, without the decoder. */
    static List<Integer> referenceGreedy(FakeModel model, int[] prompt, int n) {
        List<Integer> history = new ArrayList<>();
        for (int t : prompt) {
            history.add(t);
        }
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int t = Sampler.argmax(model.logitsAfter(history));
            out.add(t);
            history.add(t);
        }
        return out;
    }

    static List<Integer> ids(GenerationResult r) {
        List<Integer> l = new ArrayList<>();
        for (int id : r.tokenIds()) {
            l.add(id);
        }
        return l;
    }

    @Test
    void standardDecodingMakesOneForwardPerTokenAndMatchesTheModel() {
        FakeModel m = model();
        GenerationResult r = new Decoder(m, TOKENIZER, null, "standard")
                .generate(PROMPT, GenerationSettings.greedy(40), null, null);
        assertThat(ids(r)).isEqualTo(referenceGreedy(m, PROMPT, 40));
        assertThat(r.totalTokens()).isEqualTo(40);
        assertThat(r.forwardPasses()).isEqualTo(40);
        assertThat(m.forwardCalls).isEqualTo(40);
        assertThat(r.tokensPerForward()).isEqualTo(1.0);
        assertThat(r.draftedTokens()).isZero();
        assertThat(r.acceptanceRate()).isZero();
        assertThat(r.stopReason()).isEqualTo("length");
        assertThat(r.steps()).hasSize(40);
        assertThat(r.text()).isEqualTo(TOKENIZER.decode(r.tokenIds()));
    }

    @Test
    void speculativeGreedyIsIdenticalAndSavesForwardPasses() {
        FakeModel m = model();
        List<Integer> reference = referenceGreedy(m, PROMPT, 200);
        for (long seed = 0; seed < 5; seed++) {
            FakeModel mm = model();
            Speculator spec = new SingleDrafterSpeculator(new OracleDrafter(mm, 0.25, seed, "oracle"), 5);
            GenerationResult r = new Decoder(mm, TOKENIZER, spec, "oracle")
                    .generate(PROMPT, GenerationSettings.greedy(200), null, null);
            assertThat(ids(r)).isEqualTo(reference);
            assertThat(r.forwardPasses()).isLessThan(150).isEqualTo(mm.forwardCalls);
            assertThat(r.tokensPerForward()).isEqualTo(200.0 / r.forwardPasses());
            // Every step emits its accepted guesses plus one model token.
            long acceptedInSteps = r.steps().stream().mapToLong(StepTrace::accepted).sum();
            assertThat(acceptedInSteps).isEqualTo(r.acceptedTokens()).isEqualTo(200 - r.forwardPasses());
            long draftedInSteps = r.steps().stream().mapToLong(StepTrace::treeSize).sum();
            assertThat(draftedInSteps).isEqualTo(r.draftedTokens());
            assertThat(r.acceptanceRate()).isEqualTo((double) r.acceptedTokens() / r.draftedTokens());
            assertThat(r.perRule()).containsOnlyKeys("oracle");
            assertThat(r.perRule().get("oracle")).isEqualTo(new RuleStats(r.draftedTokens(), r.acceptedTokens()));
        }
    }

    /** Proposes several branches: the oracle's guess, a corrupted copy sharing its first token, and junk. */
    static final class TreeSpeculator implements Speculator {
        final OracleDrafter good;
        final Random random;
        int observed;

        TreeSpeculator(FakeModel m, long seed) {
            good = new OracleDrafter(m, 0.2, seed, "good");
            random = new Random(seed);
        }

        @Override
        public List<Draft> propose(DraftContext context, int maxTokens) {
            Draft g = good.propose(context, maxTokens);
            int[] alt = g.tokens().clone();
            alt[alt.length - 1] = 2 + random.nextInt(30);
            int[] junk = {2 + random.nextInt(30), 2 + random.nextInt(30)};
            return List.of(Draft.of("alt", junk), g, Draft.of("alt", alt));
        }

        @Override
        public void observe(List<Draft> branches, int chosenBranch, int accepted) {
            assertThat(chosenBranch).isBetween(-1, branches.size() - 1);
            assertThat(accepted == 0).isEqualTo(chosenBranch == -1);
            observed++;
        }
    }

    @Test
    void tokenTreeVerificationIsIdenticalToStandard() {
        FakeModel m = model();
        List<Integer> reference = referenceGreedy(m, PROMPT, 150);
        TreeSpeculator spec = new TreeSpeculator(m, 3);
        GenerationResult r = new Decoder(m, TOKENIZER, spec, "tree")
                .generate(PROMPT, GenerationSettings.greedy(150), null, null);
        assertThat(ids(r)).isEqualTo(reference);
        assertThat(m.treeCalls).isPositive();
        assertThat(r.forwardPasses()).isLessThan(120);
        assertThat(spec.observed).isEqualTo(r.forwardPasses());
        assertThat(r.perRule()).containsKeys("good", "alt");
        // the trace keeps the branches it did not follow: together with the followed one they cover the tree
        long withBranches = 0;
        for (StepTrace st : r.steps()) {
            int covered = st.guessed().length;
            for (StepTrace.Branch b : st.otherBranches()) {
                assertThat(b.from()).isBetween(0, st.guessed().length);
                assertThat(b.guessed()).isNotEmpty().hasSameSizeAs(b.rules());
                // a branch never repeats the followed token where it leaves it
                if (b.from() < st.guessed().length) {
                    assertThat(b.guessed()[0]).isNotEqualTo(st.guessed()[b.from()]);
                }
                covered += b.guessed().length;
            }
            assertThat(covered).isGreaterThanOrEqualTo(st.treeSize());
            assertThat(st.otherBranches().isEmpty()).isEqualTo(st.guessed().length == st.treeSize());
            withBranches += st.otherBranches().isEmpty() ? 0 : 1;
        }
        assertThat(withBranches).isPositive();
    }

    @Test
    void stopStringsCutTheTextIdenticallyInEveryModeAndNeverStream() {
        FakeModel m = model();
        List<Integer> ref = referenceGreedy(m, PROMPT, 300);
        String full = TOKENIZER.decode(ref.stream().mapToInt(Integer::intValue).toArray());
        // A stop string that surely occurs: two characters from the middle of the reference text.
        String stop = full.substring(60, 62);
        int at = full.indexOf(stop);
        GenerationSettings settings = GenerationSettings.greedy(300).withStops(List.of(stop, "never-there"));
        GenerationResult standard = null;
        for (int mode = 0; mode < 2; mode++) {
            FakeModel mm = model();
            Speculator spec = mode == 0 ? null : new SingleDrafterSpeculator(new OracleDrafter(mm, 0.3, 1, "o"), 6);
            StringBuilder streamed = new StringBuilder();
            GenerationResult r = new Decoder(mm, TOKENIZER, spec, "m" + mode)
                    .generate(PROMPT, settings, (id, text, guess) -> streamed.append(text), null);
            assertThat(r.stopReason()).isEqualTo("stop");
            assertThat(r.text()).isEqualTo(full.substring(0, at));
            assertThat(streamed.toString()).isEqualTo(r.text());
            if (standard == null) {
                standard = r;
            } else {
                assertThat(r.tokenIds()).isEqualTo(standard.tokenIds());
            }
        }
    }

    @Test
    void heldBackTextIsReleasedWhenItIsNotAStop() {
        OutputText out = new OutputText(TOKENIZER, List.of("\ndef "));
        StringBuilder s = new StringBuilder();
        for (int id : TOKENIZER.encode("a\n")) {
            s.append(out.add(id, false));
        }
        assertThat(s.toString()).isEqualTo("a"); // "\n" may start "\ndef "
        for (int id : TOKENIZER.encode("de")) {
            s.append(out.add(id, false));
        }
        assertThat(s.toString()).isEqualTo("a");
        s.append(out.add(TOKENIZER.encode("x")[0], false));
        assertThat(s.toString()).isEqualTo("a\ndex");
        assertThat(out.stopped()).isFalse();
        for (int id : TOKENIZER.encode("\nde")) {
            s.append(out.add(id, false));
        }
        s.append(out.add(TOKENIZER.encode("f")[0], true)); // last token: everything held is released
        assertThat(s.toString()).isEqualTo("a\ndex\ndef");
    }

    @Test
    void endOfTextStopsInEveryMode() {
        // A model that likes end of text: generation ends early, at the same token in every mode.
        GenerationResult[] results = new GenerationResult[2];
        for (int mode = 0; mode < 2; mode++) {
            FakeModel m = new FakeModel(TOKENIZER.vocabSize(), 512, 11, 6f, 3.5f);
            Speculator spec = mode == 0 ? null : new SingleDrafterSpeculator(new OracleDrafter(m, 0.2, 5, "o"), 4);
            results[mode] = new Decoder(m, TOKENIZER, spec, "m").generate(PROMPT, GenerationSettings.greedy(500), null, null);
            assertThat(results[mode].stopReason()).isEqualTo("eos");
            int[] ids = results[mode].tokenIds();
            assertThat(ids[ids.length - 1]).isEqualTo(1);
            assertThat(ids.length).isLessThan(500);
        }
        assertThat(results[1].tokenIds()).isEqualTo(results[0].tokenIds());
    }

    @Test
    void maxTokensIsExactEvenWhenGuessesWouldOvershoot() {
        for (int max : new int[] {0, 1, 2, 3, 7}) {
            FakeModel m = model();
            Speculator spec = new SingleDrafterSpeculator(new OracleDrafter(m, 0.0, 1, "o"), 8);
            GenerationResult r = new Decoder(m, TOKENIZER, spec, "o").generate(PROMPT, GenerationSettings.greedy(max), null, null);
            assertThat(r.totalTokens()).isEqualTo(max);
            assertThat(ids(r)).isEqualTo(referenceGreedy(m, PROMPT, max));
        }
    }

    @Test
    void contextCapacityLimitsGenerationAndLongPromptsAreRejected() {
        FakeModel small = new FakeModel(TOKENIZER.vocabSize(), 20, 7, 6f, -100f);
        Speculator spec = new SingleDrafterSpeculator(new OracleDrafter(small, 0.1, 1, "o"), 8);
        GenerationResult r = new Decoder(small, TOKENIZER, spec, "o").generate(PROMPT, GenerationSettings.greedy(100), null, null);
        assertThat(r.totalTokens()).isEqualTo(20 - PROMPT.length);
        assertThat(r.stopReason()).isEqualTo("length");
        int[] tooLong = new int[20];
        assertThatThrownBy(() -> new Decoder(small, TOKENIZER, null, "standard")
                .generate(tooLong, GenerationSettings.greedy(5), null, null))
                .isInstanceOf(RsdException.class).hasMessageContaining("20 tokens");
        assertThatThrownBy(() -> new Decoder(small, TOKENIZER, null, "standard")
                .generate(new int[0], GenerationSettings.greedy(5), null, null))
                .isInstanceOf(RsdException.class);
    }

    @Test
    void cancellationStopsGeneration() {
        FakeModel m = model();
        int[] calls = {0};
        GenerationResult r = new Decoder(m, TOKENIZER, null, "standard")
                .generate(PROMPT, GenerationSettings.greedy(100), null, () -> ++calls[0] > 5);
        assertThat(r.stopReason()).isEqualTo("cancelled");
        assertThat(r.totalTokens()).isEqualTo(5);
    }

    @Test
    void listenerSeesEveryTokenWithItsOrigin() {
        FakeModel m = model();
        Speculator spec = new SingleDrafterSpeculator(new OracleDrafter(m, 0.2, 9, "o"), 4);
        List<Integer> ids = new ArrayList<>();
        int[] fromGuess = {0};
        GenerationResult r = new Decoder(m, TOKENIZER, spec, "o").generate(PROMPT, GenerationSettings.greedy(80),
                (id, text, guess) -> {
                    ids.add(id);
                    if (guess) {
                        fromGuess[0]++;
                    }
                }, null);
        assertThat(ids).isEqualTo(ids(r));
        assertThat(fromGuess[0]).isEqualTo((int) r.acceptedTokens()).isPositive();
    }

    @Test
    void theDecoderReusesItsCacheAcrossCalls() {
        FakeModel m = model();
        Decoder d = new Decoder(m, TOKENIZER, new SingleDrafterSpeculator(new OracleDrafter(m, 0.3, 2, "o"), 4), "o");
        GenerationResult a = d.generate(PROMPT, GenerationSettings.greedy(50), null, null);
        GenerationResult b = d.generate(new int[] {0, 5}, GenerationSettings.greedy(50), null, null);
        GenerationResult c = d.generate(PROMPT, GenerationSettings.greedy(50), null, null);
        assertThat(c.tokenIds()).isEqualTo(a.tokenIds());
        assertThat(ids(b)).isEqualTo(referenceGreedy(m, new int[] {0, 5}, 50));
    }
}
