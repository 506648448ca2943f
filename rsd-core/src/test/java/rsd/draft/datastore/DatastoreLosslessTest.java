package rsd.draft.datastore;

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
import rsd.decode.Drafter;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.Prompts;
import rsd.draft.AutoSpeculator;
import rsd.draft.CostModel;
import rsd.draft.LookupDrafter;
import rsd.draft.rules.Rules;
import rsd.metrics.RuleStats;
import rsd.testing.TestTarget;

/**
 * auto with a datastore on the real engine: the store holds what the model wrote for half of the built-in
 * prompts (so its guesses are often right and trees with its branches are verified) plus the prompts'
 * text; the output on every prompt is token for token standard decoding's.
 */
class DatastoreLosslessTest {
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

    @Test
    void autoWithADatastoreGivesStandardDecodingsTokens() throws Exception {
        ModeResources plainRes = ModeResources.of(target.model(), target.tokenizer());
        List<Problem> problems = Datasets.builtin();
        List<int[]> prompts = new ArrayList<>();
        List<int[]> expected = new ArrayList<>();
        DatastoreBuilder builder = new DatastoreBuilder();
        try (Decoder standard = Modes.decoder(Modes.STANDARD, plainRes)) {
            for (int i = 0; i < problems.size(); i++) {
                Problem p = problems.get(i);
                int[] prompt = Prompts.completion(target.tokenizer(), p.prompt());
                GenerationResult plain = standard.generate(prompt, GenerationSettings.greedy(MAX_TOKENS).withStops(p.stopStrings()), null, null);
                prompts.add(prompt);
                expected.add(plain.tokenIds());
                builder.add(target.tokenizer().encode(p.prompt()));
                if (i % 2 == 0) {
                    builder.add(plain.tokenIds());
                }
            }
        }
        Path file = dir.resolve("outputs.rsdidx");
        builder.write(file, target.tokenizer(), n -> { });
        CostModel cheap = CostModel.of(new int[] {1, 2, 16}, new double[] {1, 1.01, 1.2});
        long accepted = 0;
        try (Datastore store = Datastore.open(file, target.tokenizer())) {
            List<Drafter> sources = new ArrayList<>(Rules.all());
            sources.add(new LookupDrafter());
            sources.add(new DatastoreDrafter(store));
            AutoSpeculator auto = new AutoSpeculator(sources, cheap);
            try (Decoder guessing = new Decoder(target.model(), target.tokenizer(), auto, "auto+datastore")) {
                for (int i = 0; i < problems.size(); i++) {
                    Problem p = problems.get(i);
                    GenerationResult r = guessing.generate(prompts.get(i), GenerationSettings.greedy(MAX_TOKENS).withStops(p.stopStrings()), null, null);
                    assertThat(r.tokenIds()).as(p.taskId()).isEqualTo(expected.get(i));
                    RuleStats s = r.perRule().get("datastore");
                    accepted += s == null ? 0 : s.accepted();
                }
            }
            assertThat(auto.verifiedAndProposed().get("datastore")[0]).as("datastore tokens verified").isGreaterThan(0);
        }
        assertThat(accepted).as("datastore tokens accepted").isGreaterThan(0);
    }

    @Test
    void autoFromTheModeRegistryWithADatastoreIsLossless() throws Exception {
        DatastoreBuilder builder = new DatastoreBuilder();
        builder.add(target.tokenizer().encode("def f(x):\n    return x\n"));
        Path file = dir.resolve("tiny.rsdidx");
        builder.write(file, target.tokenizer(), n -> { });
        try (Datastore store = Datastore.open(file, target.tokenizer())) {
            ModeResources res = new ModeResources(target.model(), target.tokenizer(), ModeResources.DEFAULT_GAMMA,
                    ModeResources.DEFAULT_DRAFT_P_MIN, null,
                    () -> CostModel.forModel(target.model()), store);
            int[] prompt = Prompts.completion(target.tokenizer(), "def f(x):\n");
            GenerationSettings s = GenerationSettings.greedy(24);
            try (Decoder standard = Modes.decoder(Modes.STANDARD, res); Decoder auto = Modes.decoder(Modes.AUTO, res)) {
                assertThat(auto.generate(prompt, s, null, null).tokenIds()).isEqualTo(standard.generate(prompt, s, null, null).tokenIds());
            }
        }
    }
}
