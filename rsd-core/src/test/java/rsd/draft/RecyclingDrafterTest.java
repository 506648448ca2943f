package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.Modes;
import rsd.bench.Datasets;
import rsd.bench.Problem;
import rsd.decode.Decoder;
import rsd.decode.Draft;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.GrowingContext;
import rsd.decode.Prompts;
import rsd.testing.FakeTokenizer;
import rsd.testing.TestTarget;

class RecyclingDrafterTest {
    static final FakeTokenizer TOKENIZER = FakeTokenizer.of("a", "b", "c", "d", "e", "f", "g", "h");

    /** A logits row of the fake vocabulary (10 ids) with the given ids ranked first to last. */
    static float[] ranked(int... best) {
        float[] row = new float[TOKENIZER.vocabSize()];
        for (int i = 0; i < best.length; i++) {
            row[best[i]] = 10f - i;
        }
        return row;
    }

    @Test
    void keepsTheTopSuccessorsOfEveryNodeBestFirstAndTheLatestSightingWins() {
        RecyclingDrafter d = new RecyclingDrafter();
        d.observeForward(new int[] {5, 7}, new float[][] {ranked(7, 3, 9, 2), ranked(9, 4, 8, 6)});
        assertThat(d.successorsOf(5)).containsExactly(7, 3, 9, 2);
        assertThat(d.successorsOf(7)).containsExactly(9, 4, 8, 6);
        assertThat(d.successorsOf(4)).containsExactly(-1, -1, -1, -1);
        d.observeForward(new int[] {5}, new float[][] {ranked(2, 8, 3, 4)});
        assertThat(d.successorsOf(5)).containsExactly(2, 8, 3, 4);
    }

    @Test
    void tiesRankTheLowerIdFirstAsArgmaxDoes() {
        RecyclingDrafter d = new RecyclingDrafter();
        float[] row = new float[TOKENIZER.vocabSize()];
        row[6] = 1f;
        row[3] = 1f;
        row[8] = 2f;
        d.observeForward(new int[] {2}, new float[][] {row});
        assertThat(d.successorsOf(2)).containsExactly(8, 3, 6, 0);
    }

    @Test
    void proposesOneChainPerRankOfTheLastTokensSuccessorsEachFollowingTheFirstSuccessors() {
        RecyclingDrafter d = new RecyclingDrafter();
        d.observeForward(new int[] {5, 7, 9, 3}, new float[][] {
                ranked(7, 3, 9, 2), ranked(9, 4, 8, 6), ranked(2, 4, 5, 6), ranked(4, 5, 6, 7)});
        GrowingContext context = new GrowingContext(TOKENIZER, new int[] {0, 4, 5});
        List<Draft> drafts = d.proposeAlternatives(context, 3);
        assertThat(drafts).hasSize(RecyclingDrafter.BRANCHES);
        assertThat(drafts.get(0).tokens()).containsExactly(7, 9, 2); // 2 has no recorded successor
        assertThat(drafts.get(1).tokens()).containsExactly(3, 4);
        assertThat(drafts.get(2).tokens()).containsExactly(9, 2);
        assertThat(d.grade(1)).isEqualTo("2");
        assertThat(d.propose(context, 1).tokens()).containsExactly(7);
        assertThat(d.proposeAlternatives(new GrowingContext(TOKENIZER, new int[] {0, 6}), 3)).isEmpty();
    }

    @Test
    void onTheRealEngineRecycleAndAutoWriteWhatStandardWritesAndRecycledGuessesAreAccepted(@TempDir Path dir) {
        try (LoadedModel target = TestTarget.open(dir)) {
            ModeResources res = ModeResources.of(target.model(), target.tokenizer());
            long accepted = 0;
            try (Decoder standard = Modes.decoder(Modes.STANDARD, res);
                 Decoder recycle = Modes.decoder(Modes.RECYCLE, res);
                 Decoder auto = Modes.decoder(Modes.AUTO, res)) {
                for (Problem p : Datasets.builtin().subList(0, 6)) {
                    int[] prompt = Prompts.completion(target.tokenizer(), p.prompt());
                    GenerationSettings s = GenerationSettings.greedy(40).withStops(p.stopStrings());
                    GenerationResult plain = standard.generate(prompt, s, null, null);
                    GenerationResult r = recycle.generate(prompt, s, null, null);
                    assertThat(r.tokenIds()).as(p.taskId()).isEqualTo(plain.tokenIds());
                    assertThat(auto.generate(prompt, s, null, null).tokenIds()).as(p.taskId())
                            .isEqualTo(plain.tokenIds());
                    accepted += r.acceptedTokens();
                }
            }
            // the model repeats its own transitions often enough for some recycled guess to be right
            assertThat(accepted).isGreaterThan(0);
        }
    }
}
