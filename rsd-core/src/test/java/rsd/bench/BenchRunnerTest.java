package rsd.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import rsd.decode.Decoder;
import rsd.decode.GenerationResult;
import rsd.decode.GenerationSettings;
import rsd.decode.SingleDrafterSpeculator;
import rsd.decode.TextGenerator;
import rsd.decode.TokenListener;
import rsd.testing.FakeModel;
import rsd.tokenizer.Cl100kVocabulary;
import rsd.testing.OracleDrafter;
import rsd.tokenizer.Tokenizer;

class BenchRunnerTest {
    static final Tokenizer TOK = Cl100kVocabulary.tokenizer();

    static FakeModel model() {
        return new FakeModel(TOK.vocabSize(), 64, 4096, 3, 6f, 0f);
    }

    /** A mode with a bug: it changes one token of the output. */
    record Corrupting(TextGenerator inner) implements TextGenerator {
        public GenerationResult generate(int[] p, GenerationSettings s, TokenListener l, BooleanSupplier c) {
            GenerationResult r = inner.generate(p, s, l, c);
            int[] ids = r.tokenIds().clone();
            if (ids.length > 0) {
                ids[ids.length - 1] ^= 1;
            }
            return new GenerationResult(r.text(), ids, r.promptTokens(), r.totalTokens(), r.elapsedSeconds(),
                    r.tokensPerSecond(), r.forwardPasses(), r.tokensPerForward(), r.draftedTokens(),
                    r.acceptedTokens(), r.acceptanceRate(), r.perRule(), r.stopReason(), r.steps());
        }

        public Tokenizer tokenizer() {
            return inner.tokenizer();
        }

        public String mode() {
            return "corrupt";
        }
    }

    @Test
    void runsEveryModeOnEveryProblemInRotatingOrderAndSummarises() throws Exception {
        List<Problem> problems = Datasets.builtin().subList(0, 4);
        FakeModel m = model();
        Map<String, TextGenerator> gens = new LinkedHashMap<>();
        gens.put("standard", new Decoder(m, TOK, null, "standard"));
        gens.put("oracle", new Decoder(m, TOK, new SingleDrafterSpeculator(new OracleDrafter(m, 0.3, 1, "oracle"), 4), "oracle"));
        gens.put("corrupt", new Corrupting(new Decoder(m, TOK, null, "standard")));
        List<String> order = new ArrayList<>();
        BenchRunner runner = new BenchRunner(gens, GenerationSettings.greedy(40), 8,
                (done, total, problem, mode, result) -> order.add(problem.taskId() + ":" + mode));
        List<BenchRunner.Run> runs = runner.run(problems);

        assertThat(runs).hasSize(12);
        assertThat(order).hasSize(12);
        // Problem 0 starts with standard, problem 1 with oracle, problem 2 with corrupt, problem 3 again standard.
        assertThat(order.get(0)).endsWith(":standard");
        assertThat(order.get(3)).endsWith(":oracle");
        assertThat(order.get(6)).endsWith(":corrupt");
        assertThat(order.get(9)).endsWith(":standard");

        List<ModeSummary> summaries = ModeSummary.of(runs);
        assertThat(summaries).extracting(ModeSummary::mode).containsExactly("standard", "oracle", "corrupt");
        ModeSummary standard = summaries.get(0);
        ModeSummary oracle = summaries.get(1);
        assertThat(standard.identicalToStandard()).isTrue();
        assertThat(oracle.identicalToStandard()).isTrue();
        assertThat(summaries.get(2).identicalToStandard()).isFalse();
        assertThat(summaries.get(2).differingProblems()).isEqualTo(4);
        assertThat(standard.tokensPerForward()).isEqualTo(1.0);
        assertThat(oracle.tokensPerForward()).isGreaterThan(1.2);
        assertThat(oracle.totalTokens()).isEqualTo(standard.totalTokens());
        long tokens = runs.stream().filter(r -> r.mode().equals("oracle")).mapToLong(r -> r.result().totalTokens()).sum();
        double seconds = runs.stream().filter(r -> r.mode().equals("oracle")).mapToDouble(r -> r.result().elapsedSeconds()).sum();
        assertThat(oracle.tokensPerSecond()).isCloseTo(tokens / seconds, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(oracle.speedupVsStandard()).isCloseTo(oracle.tokensPerSecond() / standard.tokensPerSecond(),
                org.assertj.core.data.Offset.offset(1e-9));
        assertThat(oracle.perRule().get("oracle").accepted()).isEqualTo(oracle.acceptedTokens());
        // the in-run cost curve: one mean per forward size seen, from the step traces themselves
        List<rsd.metrics.StepTrace> oracleSteps = runs.stream().filter(r -> r.mode().equals("oracle"))
                .flatMap(r -> r.result().steps().stream()).toList();
        assertThat(oracle.stepMillisBySize().keySet()).isEqualTo(oracle.forwardSizes().keySet());
        oracle.stepMillisBySize().forEach((t, ms) -> assertThat(ms).isCloseTo(oracleSteps.stream()
                .filter(st -> 1 + st.treeSize() == t).mapToDouble(rsd.metrics.StepTrace::millis).average().orElseThrow(),
                org.assertj.core.data.Offset.offset(1e-9)));
        assertThat(standard.stepMillisBySize().keySet()).containsExactly(1);

        JsonNode json = new ObjectMapper().readTree(BenchJson.build(new ObjectMapper().createObjectNode().put("name", "fake"),
                "builtin", 4, new ObjectMapper().createObjectNode().put("max_tokens", 40), summaries, runs).toString());
        assertThat(json.get("dataset").get("problems").asInt()).isEqualTo(4);
        JsonNode mode = json.get("modes").get(1);
        for (String f : List.of("mode", "problems", "total_tokens", "elapsed_s", "tokens_per_second", "forward_passes",
                "tokens_per_forward", "drafted_tokens", "accepted_tokens", "acceptance_rate", "speedup_vs_standard",
                "identical_to_standard", "per_rule", "decode_steps_s", "forward_sizes", "step_ms_by_size")) {
            assertThat(mode.has(f)).as(f).isTrue();
        }
        assertThat(mode.get("step_ms_by_size").size()).isEqualTo(oracle.forwardSizes().size());
        assertThat(mode.get("per_rule").get("oracle").get("drafted").asLong()).isEqualTo(oracle.draftedTokens());
        assertThat(mode.get("per_rule").get("oracle").get("saved_forwards_per_100_tokens").asDouble())
                .isCloseTo(100.0 * oracle.acceptedTokens() / oracle.totalTokens(), org.assertj.core.data.Offset.offset(1e-9));
        JsonNode problem = json.get("problems").get(0);
        for (String f : List.of("task_id", "mode", "tokens", "elapsed_s", "tokens_per_second", "forward_passes",
                "tokens_per_forward", "drafted", "accepted", "identical_to_standard", "per_rule")) {
            assertThat(problem.has(f)).as(f).isTrue();
        }
        assertThat(json.get("problems")).hasSize(12);
        assertThat(BenchTable.format(summaries)).contains("standard", "oracle", "NO (4)", "oracle/oracle", "saved/100",
                "prefill_s", "steps_x");
    }

    @Test
    void samplingRunsAreNotComparedTokenByToken() {
        FakeModel m = model();
        Map<String, TextGenerator> gens = new LinkedHashMap<>();
        gens.put("standard", new Decoder(m, TOK, null, "standard"));
        gens.put("oracle", new Decoder(m, TOK, new SingleDrafterSpeculator(new OracleDrafter(m, 0.3, 1, "o"), 4), "oracle"));
        GenerationSettings sampling = new GenerationSettings(20, 0.8f, 0, 1f, 7, List.of());
        List<BenchRunner.Run> runs = new BenchRunner(gens, sampling, 0, null).run(Datasets.builtin().subList(0, 2));
        assertThat(runs).allSatisfy(r -> assertThat(r.identicalToStandard()).isNull());
        assertThat(ModeSummary.of(runs)).allSatisfy(s -> assertThat(s.identicalToStandard()).isNull());
    }

    /** A mode whose runs take the given times in turn (its tokens are standard's). */
    static final class Timed implements TextGenerator {
        final TextGenerator inner;
        final double[] seconds;
        final boolean changeTokensOnSecondRun;
        int calls;

        Timed(TextGenerator inner, boolean changeTokensOnSecondRun, double... seconds) {
            this.inner = inner;
            this.seconds = seconds;
            this.changeTokensOnSecondRun = changeTokensOnSecondRun;
        }

        public GenerationResult generate(int[] p, GenerationSettings s, TokenListener l, BooleanSupplier c) {
            GenerationResult r = inner.generate(p, s, l, c);
            int call = calls++;
            int[] ids = r.tokenIds().clone();
            if (changeTokensOnSecondRun && call == 1 && ids.length > 0) {
                ids[0] ^= 1;
            }
            double t = seconds[call % seconds.length];
            return new GenerationResult(r.text(), ids, r.promptTokens(), r.totalTokens(), t,
                    r.totalTokens() / t, r.forwardPasses(), r.tokensPerForward(), r.draftedTokens(),
                    r.acceptedTokens(), r.acceptanceRate(), r.perRule(), r.stopReason(), r.steps());
        }

        public Tokenizer tokenizer() {
            return inner.tokenizer();
        }

        public String mode() {
            return "timed";
        }
    }

    @Test
    void repeatsKeepTheMedianTimeOfEachProblemAndMode() {
        FakeModel m = model();
        Map<String, TextGenerator> gens = new LinkedHashMap<>();
        gens.put("standard", new Decoder(m, TOK, null, "standard"));
        gens.put("timed", new Timed(new Decoder(m, TOK, null, "standard"), false, 5.0, 1.0, 3.0));
        List<String> order = new ArrayList<>();
        List<BenchRunner.Run> runs = new BenchRunner(gens, GenerationSettings.greedy(12), 0, 3,
                (done, total, problem, mode, result) -> order.add(done + "/" + total + ":" + mode))
                .run(Datasets.builtin().subList(0, 1));
        assertThat(order).hasSize(6).last().asString().startsWith("6/6");
        // rounds rotate the order: standard first, then timed first, then standard first again
        assertThat(order).extracting(o -> o.substring(o.indexOf(':') + 1))
                .containsExactly("standard", "timed", "timed", "standard", "standard", "timed");
        assertThat(runs).hasSize(2);
        BenchRunner.Run timed = runs.stream().filter(r -> r.mode().equals("timed")).findFirst().orElseThrow();
        assertThat(timed.result().elapsedSeconds()).isEqualTo(3.0);
        assertThat(timed.identicalToStandard()).isTrue();
    }

    @Test
    void aRepeatThatGeneratesOtherTokensIsAnError() {
        FakeModel m = model();
        Map<String, TextGenerator> gens = new LinkedHashMap<>();
        gens.put("standard", new Decoder(m, TOK, null, "standard"));
        gens.put("flaky", new Timed(new Decoder(m, TOK, null, "standard"), true, 1.0));
        BenchRunner runner = new BenchRunner(gens, GenerationSettings.greedy(12), 0, 2, null);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> runner.run(Datasets.builtin().subList(0, 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("flaky").hasMessageContaining("deterministic");
    }
}
