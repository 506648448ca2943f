package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;


import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.Modes;
import rsd.bench.Datasets;
import rsd.bench.Problem;
import rsd.decode.Decoder;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.draft.rules.Rules;
import rsd.testing.TestTarget;

/**
 * The auto speculator on the real engine: with a source that proposes garbage every step and a cost
 * curve cheap enough that guessing is always tried, the output is token for token standard decoding's,
 * including the steps where disagreeing sources were verified as a token tree.
 */
class AutoModeLosslessTest {
    static final int MAX_TOKENS = 48;
    @TempDir
    static Path dir;
    static LoadedModel target;

    @BeforeAll
    static void load() {
        target = TestTarget.open(dir);
    }

    @AfterAll
    static void close() {
        target.close();
    }

    /** Proposes bytes that change with the context, almost never what the model writes. */
    static final class Garbage implements Drafter {
        @Override
        public String name() {
            return "garbage";
        }

        @Override
        public Draft propose(DraftContext context, int maxTokens) {
            int[] t = new int[Math.min(maxTokens, 5)];
            for (int i = 0; i < t.length; i++) {
                t[i] = (context.length() * 31 + i * 7) % 256;
            }
            return Draft.of(name(), t);
        }
    }

    @Test
    void garbageNeverChangesTheOutputAndStopsBeingVerified() {
        ModeResources res = ModeResources.of(target.model(), target.tokenizer());
        CostModel cheap = CostModel.of(new int[] {1, 2, 16}, new double[] {1, 1.01, 1.2});
        List<Drafter> sources = new ArrayList<>(Rules.all());
        sources.add(new LookupDrafter());
        sources.add(new PatternDrafter());
        sources.add(new Garbage());
        AutoSpeculator auto = new AutoSpeculator(sources, cheap);
        long steps = 0;
        long treeSteps = 0;
        try (Decoder standard = Modes.decoder(Modes.STANDARD, res);
             Decoder guessing = new Decoder(target.model(), target.tokenizer(), auto, "auto+garbage")) {
            for (Problem p : Datasets.builtin()) {
                int[] prompt = Prompts.completion(target.tokenizer(), p.prompt());
                GenerationSettings s = GenerationSettings.greedy(MAX_TOKENS).withStops(p.stopStrings());
                GenerationResult plain = standard.generate(prompt, s, null, null);
                GenerationResult r = guessing.generate(prompt, s, null, null);
                assertThat(r.tokenIds()).as(p.taskId()).isEqualTo(plain.tokenIds());
                assertThat(r.text()).isEqualTo(plain.text());
                steps += r.forwardPasses();
                // steps that verified more than the followed branch: several branches in one forward
                treeSteps += r.steps().stream().filter(t -> t.treeSize() > t.guessed().length).count();
            }
        }
        assertThat(treeSteps).as("token-tree steps").isGreaterThan(0);
        long[] garbage = auto.verifiedAndProposed().get("garbage");
        assertThat(garbage[1]).isGreaterThan(steps / 2); // it proposed nearly every step
        assertThat(garbage[0]).isLessThan(Math.max(10, garbage[1] / 20)); // but was rarely verified
    }
}
