package rsd.decode;

import static org.assertj.core.api.Assertions.assertThat;


import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.Modes;
import rsd.bench.Datasets;
import rsd.bench.Problem;
import rsd.testing.ReplayDrafter;
import rsd.testing.TestTarget;

/**
 * End to end on the real engine: for every built-in prompt, every mode's greedy output is token for
 * token the output of standard decoding. Besides the shipped modes, a replay drafter (the reference
 * output with random errors) and a two-branch tree make sure many guesses are accepted and rejected, so
 * KV-cache truncation and tree verification are exercised, not just the happy path.
 */
class LosslessRealModelTest {
    static final int MAX_TOKENS = 40;
    @TempDir
    static Path dir;
    static LoadedModel target;
    static LoadedModel draft;

    @BeforeAll
    static void load() {
        target = TestTarget.open(dir);
        draft = TestTarget.openDraft(dir);
    }

    @AfterAll
    static void close() {
        target.close();
        if (draft != null) {
            draft.close();
        }
    }

    /** Two branches: the replay guess and a copy whose second token is changed. */
    static final class Fork implements Speculator {
        final ReplayDrafter replay;
        int trees;

        Fork(ReplayDrafter replay) {
            this.replay = replay;
        }

        @Override
        public List<Draft> propose(DraftContext context, int maxTokens) {
            Draft d = replay.propose(context, maxTokens);
            if (d.size() < 2) {
                return d.isEmpty() ? List.of() : List.of(d);
            }
            int[] alt = d.tokens().clone();
            alt[1] = (alt[1] + 1) % 256;
            trees++;
            return List.of(Draft.of("alt", alt), d);
        }

        @Override
        public void observe(List<Draft> branches, int chosenBranch, int accepted) {
        }
    }

    @Test
    void everyModeIsIdenticalToStandardOnEveryBuiltinPrompt() {
        ModeResources res = new ModeResources(target.model(), target.tokenizer(), 4,
                draft == null ? null : draft::model);
        List<String> modes = Modes.available(res);
        assertThat(modes).contains("standard", "indent");
        Map<String, Decoder> decoders = new LinkedHashMap<>();
        for (String m : modes) {
            decoders.put(m, Modes.decoder(m, res));
        }
        long replayAccepted = 0;
        int trees = 0;
        for (Problem p : Datasets.builtin()) {
            int[] prompt = Prompts.completion(target.tokenizer(), p.prompt());
            GenerationSettings s = GenerationSettings.greedy(MAX_TOKENS).withStops(p.stopStrings());
            GenerationResult standard = decoders.get("standard").generate(prompt, s, null, null);
            assertThat(standard.forwardPasses()).isEqualTo(standard.totalTokens());
            for (var e : decoders.entrySet()) {
                GenerationResult r = e.getValue().generate(prompt, s, null, null);
                assertThat(r.tokenIds()).as("%s on %s", e.getKey(), p.taskId()).isEqualTo(standard.tokenIds());
                assertThat(r.text()).isEqualTo(standard.text());
            }
            Function<Integer, ReplayDrafter> replay = seed -> new ReplayDrafter(prompt.length, standard.tokenIds(), 0.25,
                    seed, target.model().vocabSize());
            try (Decoder chain = new Decoder(target.model(), target.tokenizer(),
                    new SingleDrafterSpeculator(replay.apply(1), 5), "replay")) {
                GenerationResult r = chain.generate(prompt, s, null, null);
                assertThat(r.tokenIds()).as("replay on %s", p.taskId()).isEqualTo(standard.tokenIds());
                replayAccepted += r.acceptedTokens();
            }
            Fork fork = new Fork(replay.apply(2));
            try (Decoder tree = new Decoder(target.model(), target.tokenizer(), fork, "tree")) {
                GenerationResult r = tree.generate(prompt, s, null, null);
                assertThat(r.tokenIds()).as("tree on %s", p.taskId()).isEqualTo(standard.tokenIds());
            }
            trees += fork.trees;
        }
        decoders.values().forEach(Decoder::close);
        assertThat(replayAccepted).isGreaterThan(40L * MAX_TOKENS / 3);
        assertThat(trees).isGreaterThan(100);
    }

    @Test
    void theDraftModelDraftsAndStaysLossless() {
        org.junit.jupiter.api.Assumptions.assumeTrue(draft != null, "a draft model for the chosen target");
        ModeResources res = new ModeResources(target.model(), target.tokenizer(), 3, draft::model);
        // with a confidence floor, the draft model drafts fewer tokens and the output stays the same
        ModeResources floored = new ModeResources(target.model(), target.tokenizer(), 3, 0.6, draft::model);
        long drafted = 0;
        long draftedWithFloor = 0;
        try (Decoder d = Modes.decoder("draft", res); Decoder std = Modes.decoder("standard", res);
             Decoder f = Modes.decoder("draft", floored)) {
            List<Problem> some = new ArrayList<>(Datasets.builtin().subList(0, 5));
            for (Problem p : some) {
                int[] prompt = Prompts.completion(target.tokenizer(), p.prompt());
                GenerationResult a = std.generate(prompt, GenerationSettings.greedy(30), null, null);
                GenerationResult b = d.generate(prompt, GenerationSettings.greedy(30), null, null);
                assertThat(b.tokenIds()).isEqualTo(a.tokenIds());
                assertThat(b.draftedTokens()).isPositive();
                assertThat(b.perRule()).containsOnlyKeys("draft");
                GenerationResult c = f.generate(prompt, GenerationSettings.greedy(30), null, null);
                assertThat(c.tokenIds()).isEqualTo(a.tokenIds());
                drafted += b.draftedTokens();
                draftedWithFloor += c.draftedTokens();
            }
        }
        assertThat(draftedWithFloor).isLessThan(drafted);
    }
}
