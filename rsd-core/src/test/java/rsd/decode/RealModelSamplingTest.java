package rsd.decode;

import static org.assertj.core.api.Assertions.assertThat;


import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.draft.DraftModelDrafter;
import rsd.model.Session;
import rsd.testing.ChiSquare;
import rsd.testing.TestTarget;

/**
 * Lossless sampling on the real engine (a tiny random Llama): the joint distribution of the first two
 * tokens under speculative sampling matches plain sampling's exact distribution (chi-square at 0.1 %),
 * for fixed guesses and for a draft model; an always-accept rule fails the same test.
 */
class RealModelSamplingTest {
    static final double ALPHA = 1e-3;
    static final int RUNS = 3000;
    static final GenerationSettings SETTINGS = new GenerationSettings(2, 1.0f, 4, 1f, 0, List.of());
    @TempDir
    static Path dir;
    static LoadedModel target;
    static LoadedModel draft;
    static int[] prompt;
    static double[] exact;
    static int vocab;
    static int[] fixedGuess;

    @BeforeAll
    static void setUp() {
        target = TestTarget.randomModel(dir, 5);
        draft = TestTarget.randomModel(dir, 6);
        vocab = target.model().vocabSize();
        prompt = Prompts.completion(target.tokenizer(), "def f(x):\n");
        try (Session s = target.model().newSession(64)) {
            float[] p1 = Sampler.distribution(s.prefill(prompt, 0), SETTINGS);
            exact = new double[vocab * vocab];
            int best = -1;
            int second = -1;
            for (int a = 0; a < vocab; a++) {
                if (p1[a] == 0) {
                    continue;
                }
                if (best < 0 || p1[a] > p1[best]) {
                    second = best;
                    best = a;
                } else if (second < 0 || p1[a] > p1[second]) {
                    second = a;
                }
                float[] p2 = Sampler.distribution(s.forward(new int[] {a}, prompt.length)[0], SETTINGS);
                for (int b = 0; b < vocab; b++) {
                    exact[a * vocab + b] = (double) p1[a] * p2[b];
                }
            }
            // Guess the second likeliest first token, then that token's likeliest follower.
            float[] after = s.forward(new int[] {second}, prompt.length)[0];
            fixedGuess = new int[] {second, Sampler.argmax(after)};
        }
    }

    @AfterAll
    static void tearDown() {
        target.close();
        draft.close();
    }

    static ChiSquare.Result run(Decoder decoder) {
        long[] counts = new long[vocab * vocab];
        for (int seed = 0; seed < RUNS; seed++) {
            GenerationSettings s = new GenerationSettings(2, SETTINGS.temperature(), SETTINGS.topK(), SETTINGS.topP(), seed, List.of());
            int[] ids = decoder.generate(prompt, s, null, null).tokenIds();
            counts[ids[0] * vocab + ids[1]]++;
        }
        return ChiSquare.test(counts, exact);
    }

    static Drafter fixed() {
        return new Drafter() {
            public String name() {
                return "fixed";
            }

            public Draft propose(DraftContext context, int maxTokens) {
                return context.length() == prompt.length ? Draft.of("fixed", fixedGuess) : Draft.EMPTY;
            }
        };
    }

    @Test
    void plainSamplingPasses() {
        try (Decoder d = new Decoder(target.model(), target.tokenizer(), null, "standard")) {
            assertThat(run(d).pValue()).isGreaterThan(ALPHA);
        }
    }

    @Test
    void fixedGuessesKeepTheDistribution() {
        // maxTokens 2 leaves room for one guess in the first step.
        try (Decoder d = new Decoder(target.model(), target.tokenizer(), new SingleDrafterSpeculator(fixed(), 2), "fixed")) {
            ChiSquare.Result r = run(d);
            assertThat(r.pValue()).as("%s", r).isGreaterThan(ALPHA);
        }
    }

    @Test
    void draftModelKeepsTheDistribution() {
        try (Decoder d = new Decoder(target.model(), target.tokenizer(),
                new SingleDrafterSpeculator(new DraftModelDrafter(draft.model(), 64), 2), "draft")) {
            ChiSquare.Result r = run(d);
            assertThat(r.pValue()).as("%s", r).isGreaterThan(ALPHA);
        }
    }

    @Test
    void alwaysAcceptingFails() {
        try (Decoder d = new Decoder(target.model(), target.tokenizer(), new SingleDrafterSpeculator(fixed(), 2), "broken",
                (p, q, x, random) -> true)) {
            assertThat(run(d).pValue()).isLessThan(ALPHA);
        }
    }
}
