package rsd.draft;

import static org.assertj.core.api.Assertions.assertThat;


import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.decode.GrowingContext;
import rsd.draft.rules.Rules;
import rsd.tokenizer.Cl100kVocabulary;

class AutoSpeculatorTest {
    private static final rsd.tokenizer.Tokenizer TOK = Cl100kVocabulary.tokenizer();
    private static final CostModel CHEAP = CostModel.of(new int[] {1, 2, 4, 8, 16}, new double[] {1, 1.04, 1.1, 1.25, 1.6});

    /** Proposes tokens the text never contains. */
    static final class Garbage implements Drafter {
        @Override
        public String name() {
            return "garbage";
        }

        @Override
        public Draft propose(DraftContext context, int maxTokens) {
            int[] t = new int[Math.min(maxTokens, 6)];
            java.util.Arrays.fill(t, TOK.idOf("\u00e9\u00e9"));
            return Draft.of(name(), t);
        }
    }

    static String python() {
        return python(12);
    }

    static String python(int functions) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < functions; i++) {
            sb.append("def compute_").append(i).append("(values, threshold):\n")
                    .append("    \"\"\"Return the values above the threshold.\"\"\"\n")
                    .append("    result = []\n")
                    .append("    for value in values:\n")
                    .append("        if value > threshold + ").append(i).append(":\n")
                    .append("            result.append(value)\n")
                    .append("    return result\n\n\n");
        }
        return sb.toString();
    }

    static List<Drafter> sources(Drafter... extra) {
        List<Drafter> s = new ArrayList<>(Rules.all());
        s.add(new LookupDrafter());
        s.add(new PatternDrafter());
        s.addAll(List.of(extra));
        return s;
    }

    @Test
    void garbageSourceStopsBeingVerified() {
        int[] all = TOK.encode(python());
        int[] prompt = java.util.Arrays.copyOf(all, 20);
        int[] reference = java.util.Arrays.copyOfRange(all, 20, all.length);
        AutoSpeculator auto = new AutoSpeculator(sources(new Garbage()), CHEAP);
        var result = ReplaySimulator.replay(TOK, prompt, reference, auto, CHEAP);
        long[] garbage = auto.verifiedAndProposed().get("garbage");
        assertThat(garbage[1]).isGreaterThan(100); // it kept proposing every step
        // at most a few early tries were verified before its estimate sank
        assertThat(garbage[0]).isLessThan(20);
        assertThat(auto.firstAcceptance("garbage")).isLessThan(0.02);
        assertThat(result.perRule().get("garbage").accepted()).isZero();
        // the useful sources were used and won tokens
        assertThat(result.tokensPerForward()).isGreaterThan(1.8);
    }

    @Test
    void garbageDoesNotHurtTheOtherSources() {
        int[] all = TOK.encode(python());
        int[] prompt = java.util.Arrays.copyOf(all, 20);
        int[] reference = java.util.Arrays.copyOfRange(all, 20, all.length);
        var clean = ReplaySimulator.replay(TOK, prompt, reference, new AutoSpeculator(sources(), CHEAP), CHEAP);
        var dirty = ReplaySimulator.replay(TOK, prompt, reference, new AutoSpeculator(sources(new Garbage()), CHEAP), CHEAP);
        assertThat(dirty.tokensPerForward()).isGreaterThan(clean.tokensPerForward() * 0.95);
    }

    @Test
    void guessesNothingWhenForwardCostGrowsLinearly() {
        int[] all = TOK.encode(python());
        CostModel linear = CostModel.linear(16);
        AutoSpeculator auto = new AutoSpeculator(sources(), linear);
        var result = ReplaySimulator.replay(TOK, java.util.Arrays.copyOf(all, 20),
                java.util.Arrays.copyOfRange(all, 20, all.length), auto, linear);
        // a guess costs as much as the step it could save: only near-certain guesses are worth it
        assertThat(result.treeTokens()).isLessThan(result.tokens() / 10);
        assertThat(result.projectedSpeedup()).isGreaterThan(0.98);
    }

    @Test
    void disagreeingSourcesBecomeSiblingBranches() {
        // "    if n > 0:\n        x = 1\n": same-indent says "       ", else-dedent says "   " " else" ":\n"
        GrowingContext ctx = new GrowingContext(TOK, TOK.encode("def f(n):\n    if n > 0:\n        x = 1\n"));
        Drafter same = Rules.all().stream().filter(d -> d.name().equals("same-indent")).findFirst().orElseThrow();
        Drafter otherwise = Rules.all().stream().filter(d -> d.name().equals("else-dedent")).findFirst().orElseThrow();
        AutoSpeculator auto = new AutoSpeculator(List.of(same, otherwise), CostModel.of(new int[] {1, 8}, new double[] {1, 1}));
        List<Draft> branches = auto.propose(ctx, 8);
        assertThat(branches).hasSize(2);
        assertThat(branches).extracting(d -> d.rules()[0]).containsExactlyInAnyOrder("same-indent", "else-dedent");
        assertThat(branches).extracting(d -> d.tokens()[0]).doesNotHaveDuplicates();
    }

    @Test
    void agreeingSourcesShareOneBranch() {
        GrowingContext ctx = new GrowingContext(TOK, TOK.encode("class A:\n    def f(self):\n"));
        Drafter block = Rules.all().stream().filter(d -> d.name().equals("block-indent")).findFirst().orElseThrow();
        AutoSpeculator auto = new AutoSpeculator(List.of(block, new PatternDrafter()),
                CostModel.of(new int[] {1, 8}, new double[] {1, 1.01}));
        List<Draft> branches = auto.propose(ctx, 8);
        assertThat(branches).isNotEmpty();
        assertThat(branches).allSatisfy(b -> assertThat(TOK.piece(b.tokens()[0])).isEqualTo("       "));
    }

    @Test
    void costCurveInterpolatesAndNeverDecreases() {
        CostModel m = CostModel.of(new int[] {1, 2, 4, 8}, new double[] {1, 1.2, 1.1, 2.0});
        assertThat(m.cost(1)).isEqualTo(1.0);
        assertThat(m.cost(3)).isEqualTo(1.2); // 1.15 interpolated, raised to cost(2)
        assertThat(m.cost(6)).isBetween(1.5, 1.6);
        assertThat(m.cost(10)).isGreaterThan(m.cost(8));
        assertThat(CostModel.parse(m.serialize()).cost(6)).isEqualTo(m.cost(6), org.assertj.core.data.Offset.offset(1e-3));
    }

    /** Counts how often the speculator asked it for a guess. */
    static final class Counting implements Drafter {
        int calls;

        @Override
        public String name() {
            return "counting";
        }

        @Override
        public Draft propose(DraftContext context, int maxTokens) {
            calls++;
            return Draft.EMPTY;
        }
    }

    @Test
    void stopsDraftingWhenDraftingTimeOutweighsTheForwardsItSaves() {
        int[] all = TOK.encode(python());
        int[] prompt = java.util.Arrays.copyOf(all, 20);
        int[] reference = java.util.Arrays.copyOfRange(all, 20, all.length);
        // a forward that takes a nanosecond: no guess can save more time than drafting costs
        CostModel instant = CHEAP.withForwardMillis(1e-6);
        Counting counting = new Counting();
        List<Drafter> s = sources(counting);
        var paused = ReplaySimulator.replay(TOK, prompt, reference, new AutoSpeculator(s, instant), instant);
        assertThat(counting.calls).isLessThan((int) (paused.forwards() / 3));
        // a slow forward (100 ms): drafting always pays, every step drafts
        CostModel slow = CHEAP.withForwardMillis(100);
        AutoSpeculator busyAuto = new AutoSpeculator(sources(), slow);
        var busy = ReplaySimulator.replay(TOK, prompt, reference, busyAuto, slow);
        assertThat(busyAuto.calls("lookup")).isEqualTo(busy.forwards());
        assertThat(busy.tokensPerForward()).isGreaterThan(paused.tokensPerForward());
    }

    /** Never right, and slow to say so: spins for {@code micros} on every call. */
    static final class Slow implements Drafter {
        private final long micros;

        Slow(long micros) {
            this.micros = micros;
        }

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public Draft propose(DraftContext context, int maxTokens) {
            long until = System.nanoTime() + micros * 1000;
            while (System.nanoTime() < until) {
                Thread.onSpinWait();
            }
            return Draft.EMPTY;
        }
    }

    @Test
    void skipsASourceWhoseCallsCostMoreThanItsGuessesSave() {
        int[] all = TOK.encode(python(60));
        int[] prompt = java.util.Arrays.copyOf(all, 20);
        int[] reference = java.util.Arrays.copyOfRange(all, 20, all.length);
        // a 1 ms forward: a source that spends 0.2 ms per call and never guesses right does not pay
        CostModel model = CHEAP.withForwardMillis(1.0);
        AutoSpeculator auto = new AutoSpeculator(sources(new Slow(200)), model);
        var result = ReplaySimulator.replay(TOK, prompt, reference, auto, model);
        long steps = result.forwards();
        assertThat(steps).isGreaterThan(4L * AutoSpeculator.MIN_CALLS);
        assertThat(auto.calls("slow")).isBetween((long) AutoSpeculator.MIN_CALLS, steps / 2);
        // lookup wins tokens on this repetitive text: it is asked on every step that drafts
        assertThat(auto.calls("lookup")).isGreaterThan(auto.calls("slow") * 2);
        // and the other sources keep most of their gains (the first steps, before the slow one is skipped,
        // pay for it; call times are wall-clock, so a loaded machine skips a little more)
        AutoSpeculator plain = new AutoSpeculator(sources(), model);
        var without = ReplaySimulator.replay(TOK, prompt, reference, plain, model);
        assertThat(result.tokensPerForward()).isGreaterThan(0.75 * without.tokensPerForward());
    }
}
