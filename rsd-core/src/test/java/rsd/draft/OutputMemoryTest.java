package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

class OutputMemoryTest {
    static final FakeTokenizer TOKENIZER = FakeTokenizer.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");

    @Test
    void findsTheContinuationAfterTheLatestOccurrenceOfTheLastThreeTokens() {
        OutputMemory m = new OutputMemory(64);
        m.add(new int[] {2, 3, 4, 5, 6, 7});
        m.add(new int[] {9, 3, 4, 5, 11, 10, 8});
        OutputMemory.Match hit = m.find(new int[] {8, 3, 4, 5}, 4, 8, 16);
        assertThat(hit.tokens()).containsExactly(11, 10, 8); // the latest, and never across the output's end
        assertThat(hit.matched()).isEqualTo(3);
        OutputMemory.Match longer = m.find(new int[] {9, 3, 4, 5}, 4, 2, 16);
        assertThat(longer.tokens()).containsExactly(11, 10);
        assertThat(longer.matched()).isEqualTo(4);
        assertThat(m.find(new int[] {3, 4, 6}, 3, 8, 16)).isNull();
        assertThat(m.find(new int[] {4, 5}, 2, 8, 16)).isNull(); // shorter than a key
    }

    @Test
    void staysWithinItsCapacityAndForgetsTheOldestText() {
        OutputMemory m = new OutputMemory(16);
        m.add(new int[] {2, 3, 4, 5, 6});
        assertThat(m.find(new int[] {2, 3, 4}, 3, 4, 16).tokens()).containsExactly(5, 6);
        for (int i = 0; i < 4; i++) {
            m.add(new int[] {7, 8, 9, 10, 11});
        }
        assertThat(m.capacity()).isEqualTo(16);
        assertThat(m.written()).isEqualTo(30);
        assertThat(m.find(new int[] {2, 3, 4}, 3, 4, 16)).isNull(); // overwritten: a miss, not stale tokens
        assertThat(m.find(new int[] {7, 8, 9}, 3, 4, 16).tokens()).containsExactly(10, 11);
        assertThatThrownBy(() -> new OutputMemory(4)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theDrafterProposesWhatAnEarlierOutputWroteAndRemembersOutputsOnly() {
        OutputMemory m = new OutputMemory(64);
        MemoryDrafter d = new MemoryDrafter(m);
        GrowingContext first = new GrowingContext(TOKENIZER, new int[] {0, 2, 3});
        for (int t : new int[] {4, 5, 6, 7, 8}) {
            first.add(t);
        }
        d.finish(first);
        GrowingContext later = new GrowingContext(TOKENIZER, new int[] {0, 9, 4, 5, 6});
        Draft guess = d.propose(later, 4);
        assertThat(guess.tokens()).containsExactly(7, 8);
        assertThat(guess.rules()).containsOnly("memory");
        assertThat(d.lastGrade()).isEqualTo("3");
        // the prompt (2, 3) was not remembered
        assertThat(d.propose(new GrowingContext(TOKENIZER, new int[] {0, 2, 3, 4}), 4).isEmpty()).isTrue();
    }

    @Test
    void concurrentWritersAndReadersSeeOnlyWholeOutputs() throws Exception {
        OutputMemory m = new OutputMemory(1 << 10); // wraps several times
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Integer>> work = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                int base = 100 * (w + 1);
                work.add(pool.submit(() -> {
                    int hits = 0;
                    for (int round = 0; round < 500; round++) {
                        m.add(new int[] {base, base + 1, base + 2, base + 3, base + 4});
                        OutputMemory.Match hit = m.find(new int[] {base, base + 1, base + 2}, 3, 4, 16);
                        // another writer's run may have taken the slot (a miss), but a hit is never torn
                        if (hit != null) {
                            assertThat(hit.tokens()).containsExactly(base + 3, base + 4);
                            hits++;
                        }
                    }
                    return hits;
                }));
            }
            int hits = 0;
            for (Future<Integer> f : work) {
                hits += f.get();
            }
            assertThat(hits).isGreaterThan(0);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void onTheRealEngineASecondAskingOfTheSamePromptIsGuessedFromMemoryAndStaysIdentical(@TempDir Path dir) {
        try (LoadedModel target = TestTarget.open(dir)) {
            ModeResources plain = ModeResources.of(target.model(), target.tokenizer());
            OutputMemory memory = new OutputMemory(1 << 14);
            ModeResources remembering = new ModeResources(target.model(), target.tokenizer(), 4, 0.0, null,
                    () -> CostModel.of(new int[] {1, 2, 16}, new double[] {1, 1.01, 1.2}), null)
                    .withMemory(memory);
            Problem p = Datasets.builtin().get(3);
            int[] prompt = Prompts.completion(target.tokenizer(), p.prompt());
            GenerationSettings s = GenerationSettings.greedy(64).withStops(p.stopStrings());
            try (Decoder standard = Modes.decoder(Modes.STANDARD, plain);
                 Decoder auto = Modes.decoder(Modes.AUTO, remembering);
                 Decoder memoryOnly = new Decoder(target.model(), target.tokenizer(),
                         new FirstMatchSpeculator(List.of(new MemoryDrafter(memory)), 8), "memory")) {
                GenerationResult reference = standard.generate(prompt, s, null, null);
                assertThat(auto.generate(prompt, s, null, null).tokenIds()).isEqualTo(reference.tokenIds());
                assertThat(memory.written()).isEqualTo(reference.totalTokens() + 1L);
                GenerationResult again = memoryOnly.generate(prompt, s, null, null);
                assertThat(again.tokenIds()).isEqualTo(reference.tokenIds());
                // everything after the first three tokens can be copied from the first answer
                assertThat(again.perRule().get("memory").accepted()).isGreaterThan(reference.totalTokens() / 2);
                assertThat(auto.generate(prompt, s, null, null).tokenIds()).isEqualTo(reference.tokenIds());
            }
        }
    }
}
