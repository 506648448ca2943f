package rsd.draft;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.decode.ForwardObserver;
import rsd.decode.Speculator;

/**
 * {@code auto}: every source proposes, and a cost model decides what is worth verifying.
 *
 * <p>Each source has two running acceptance estimates with forgetting: of its first guessed token and of
 * each further token given the previous one was right. They are learned from every proposal, verified or
 * not: when the next step comes, the tokens that really followed are in the context, so each source's
 * last proposal is scored against them (a source that was never chosen is still measured, and one that
 * proposes garbage sinks to zero and stays out).
 *
 * <p>The proposals form a token tree (agreeing sources share nodes and raise their confidence; sources
 * that disagree become sibling branches). A node's chance of being accepted is the product of the
 * estimates along its path. Nodes are added most likely first, and the tree kept is the prefix that
 * maximises (1 + expected accepted tokens) / cost(1 + nodes): the expected tokens per unit of forward
 * cost. When no tree beats a plain step, nothing is guessed.
 *
 * <p>Asking a source costs time on every step, even when it has nothing to say. Each source's call time
 * and the tokens its proposals matched per call are tracked; a source whose matches are worth less
 * forward time than its calls take is skipped for a few steps (doubling up to {@link #MAX_PAUSE}), then
 * asked again, so a rule that rarely fires but always checks stops slowing every step.
 */
public final class AutoSpeculator implements Speculator, ForwardObserver {
    /** Forgetting factor per observation: about the last 30 guesses of a source count. */
    static final double DECAY = 0.97;
    /** Deepest guess any source is asked for. */
    static final int MAX_DEPTH = 12;
    /**
     * Forgetting factor of the tokens drafting gained per step, for the decision to pause drafting: about
     * the last 100 steps. Gains come in bursts (a repeated passage, then new code), while a pause saves
     * only the drafting time of the steps it skips; a short memory paused at every quiet stretch and then
     * missed the next burst (measured: tokens per forward 2.82 -> 2.54 in such a run).
     */
    static final double PAUSE_GAIN_DECAY = 0.99;
    /** Steps without drafting after drafting did not pay for its own time (doubling up to MAX_PAUSE). */
    static final int MIN_PAUSE = 4;
    static final int MAX_PAUSE = 64;
    private static final double PRIOR_ACCEPTED = 0.3;
    private static final double PRIOR_WEIGHT = 1.0;
    /** Calls of a source before its cost is weighed against its gain. */
    static final int MIN_CALLS = 64;

    private final List<Drafter> sources;
    private final CostModel cost;
    private final Map<String, Rate> first = new HashMap<>();
    private final Map<String, Rate> next = new HashMap<>();
    private final Map<String, long[]> shares = new LinkedHashMap<>();
    /** Every proposal of the last step (source index, estimate key, draft), still to be scored. */
    private final List<Pending> pending = new ArrayList<>();
    private int pendingAt = -1;
    /** The branches verified last step (to measure what guessing actually gained). */
    private List<Draft> lastBranches = List.of();
    /** Running mean of the tokens guessing gained per step, and of the time drafting took (ms). */
    private double gainPerStep = 1.0;
    private double draftMillis;
    private long steps;
    private int pausedFor;
    private int nextPause = MIN_PAUSE;
    private int pendingFirstToken;

    private final SourceUse[] use;
    /** What steps of each forward width really take in this run (forward, verification, bookkeeping). */
    private final StepCosts stepCosts;

    public AutoSpeculator(List<Drafter> sources, CostModel cost) {
        this.sources = List.copyOf(sources);
        this.cost = cost;
        this.use = new SourceUse[sources.size()];
        this.stepCosts = new StepCosts(cost);
        for (int s = 0; s < use.length; s++) {
            shares.put(sources.get(s).name(), new long[2]);
            use[s] = new SourceUse();
        }
    }

    /** Times each source was asked for a proposal since construction. */
    public long calls(String source) {
        long n = 0;
        for (int s = 0; s < use.length; s++) {
            if (sources.get(s).name().equals(source)) {
                n += use[s].calls;
            }
        }
        return n;
    }

    /** Running estimate of P(first guessed token accepted) of a source (of one grade: "lookup#6-8"). */
    public double firstAcceptance(String sourceAndGrade) {
        return rate(first, sourceAndGrade).value();
    }

    /** Running estimate of P(next guessed token accepted | previous accepted) of a source (and grade). */
    public double nextAcceptance(String sourceAndGrade) {
        return rate(next, sourceAndGrade).value();
    }

    /** Tokens of each source put into verified trees, and tokens it proposed, since construction. */
    public Map<String, long[]> verifiedAndProposed() {
        return shares;
    }

    private static Rate rate(Map<String, Rate> rates, String key) {
        return rates.computeIfAbsent(key, k -> new Rate());
    }

    @Override
    public List<Draft> propose(DraftContext context, int maxTokens) {
        if (pausedFor > 0) {
            pausedFor--;
            pendingAt = -1;
            pending.clear();
            lastBranches = List.of();
            return List.of();
        }
        long started = System.nanoTime();
        settle(context);
        List<Draft> branches = plan(context, maxTokens);
        lastBranches = branches;
        draftMillis = 0.9 * draftMillis + 0.1 * (System.nanoTime() - started) / 1e6;
        steps++;
        // Drafting costs CPU time on every step; when what it wins no longer pays for that time (tiny
        // models, code the sources do not know), stop drafting for a while, then look again.
        double forwardMs = cost.forwardMillis();
        if (!Double.isNaN(forwardMs) && steps >= 16 && gainPerStep * forwardMs < draftMillis) {
            pausedFor = nextPause;
            nextPause = Math.min(MAX_PAUSE, nextPause * 2);
            steps = 12; // after the pause, a few steps of fresh evidence decide again
        } else if (steps >= 16) {
            nextPause = MIN_PAUSE;
        }
        return branches;
    }

    /** Whether drafting is paused now because it did not pay for its own time. */
    public boolean paused() {
        return pausedFor > 0;
    }

    private List<Draft> plan(DraftContext context, int maxTokens) {
        int limit = Math.min(maxTokens, Math.min(MAX_DEPTH, Math.max(0, cost.maxTokens() - 1)));
        if (limit <= 0 || context.length() == 0) {
            return List.of();
        }
        Node root = new Node(-1, null, 1.0, null);
        pending.clear();
        for (int s = 0; s < sources.size(); s++) {
            Drafter d = sources.get(s);
            SourceUse u = use[s];
            u.asked = false;
            if (u.pausedFor > 0) {
                u.pausedFor--;
                continue;
            }
            long called = System.nanoTime();
            List<Draft> drafts;
            if (d instanceof GradedDrafter g) {
                drafts = g.proposeAlternatives(context, limit);
            } else {
                Draft one = d.propose(context, limit);
                drafts = one.isEmpty() ? List.of() : List.of(one);
            }
            u.called((System.nanoTime() - called) / 1e6);
            for (int a = 0; a < drafts.size(); a++) {
                Draft draft = drafts.get(a);
                if (draft.isEmpty()) {
                    continue;
                }
                String key = d instanceof GradedDrafter g ? d.name() + "#" + g.grade(a) : d.name();
                pending.add(new Pending(s, key, draft));
                shares.get(d.name())[1] += draft.size();
                Node at = root;
                for (int i = 0; i < draft.size(); i++) {
                    double r = rate(i == 0 ? first : next, key).value();
                    at = at.child(draft.tokens()[i], d.name(), r);
                }
            }
        }
        pendingAt = context.length();
        pendingFirstToken = context.token(context.length() - 1);
        List<Node> order = new ArrayList<>();
        root.collect(order, 1.0);
        // most likely first; a parent is never less likely than its child, ties keep parents first
        order.sort((a, b) -> a.p != b.p ? Double.compare(b.p, a.p) : Integer.compare(a.depth, b.depth));
        double expected = 1.0;
        double best = 1.0; // a plain step: one token for cost 1
        int bestCount = 0;
        for (int n = 1; n <= Math.min(order.size(), limit); n++) {
            expected += order.get(n - 1).p;
            double value = expected / stepCosts.cost(1 + n);
            if (value > best + 1e-9) {
                best = value;
                bestCount = n;
            }
        }
        if (bestCount == 0) {
            return List.of();
        }
        List<Node> chosen = order.subList(0, bestCount);
        for (Node n : chosen) {
            n.selected = true;
        }
        List<Draft> branches = new ArrayList<>();
        for (Node n : chosen) {
            if (n.children.values().stream().noneMatch(c -> c.selected)) {
                branches.add(n.path());
            }
        }
        for (Draft b : branches) {
            for (String rule : b.rules()) {
                shares.get(rule)[0]++;
            }
        }
        return branches;
    }

    /** Scores every source's last proposals against the tokens that really followed. */
    private void settle(DraftContext context) {
        if (pendingAt < 0) {
            return;
        }
        int known = context.length() - pendingAt;
        if (known <= 0 || context.token(pendingAt - 1) != pendingFirstToken) {
            if (known != 0) {
                pending.clear(); // a different sequence: nothing to score
                pendingAt = -1;
            }
            return;
        }
        int gained = 0;
        for (Draft b : lastBranches) {
            int m = 0;
            while (m < b.size() && m < known && b.tokens()[m] == context.token(pendingAt + m)) {
                m++;
            }
            gained = Math.max(gained, m);
        }
        gainPerStep = PAUSE_GAIN_DECAY * gainPerStep + (1 - PAUSE_GAIN_DECAY) * gained;
        int[] matchedBy = new int[sources.size()];
        for (Pending p : pending) {
            Draft d = p.draft();
            int matched = 0;
            while (matched < d.size() && matched < known && d.tokens()[matched] == context.token(pendingAt + matched)) {
                matched++;
            }
            for (int i = 0; i < matched; i++) {
                rate(i == 0 ? first : next, p.key()).update(true);
            }
            if (matched < d.size() && matched < known) {
                rate(matched == 0 ? first : next, p.key()).update(false);
            }
            sources.get(p.source()).observe(d, matched);
            matchedBy[p.source()] = Math.max(matchedBy[p.source()], matched);
        }
        double forwardMs = cost.forwardMillis();
        for (int s = 0; s < use.length; s++) {
            if (use[s].asked) {
                use[s].scored(matchedBy[s], forwardMs);
            }
        }
        pending.clear();
        pendingAt = -1;
    }

    /** One source's running call time and gain, and its pause when the first outweighs the second. */
    private static final class SourceUse {
        /** Sources fire in bursts (a rule at line ends, the table in familiar code): gains are averaged over about 200 calls. */
        static final double GAIN_DECAY = 0.995;
        double callMillis;
        double matchedSum; // tokens its proposals matched, decayed
        double weight;     // calls scored, decayed
        long calls;
        int pausedFor;
        int nextPause = MIN_PAUSE;
        boolean asked;

        void called(double millis) {
            callMillis = calls == 0 ? millis : 0.9 * callMillis + 0.1 * millis;
            calls++;
            asked = true;
        }

        /** After the tokens that followed a call are known: {@code matched} of its proposal were right. */
        void scored(int matched, double forwardMs) {
            matchedSum = matchedSum * GAIN_DECAY + matched;
            weight = weight * GAIN_DECAY + 1;
            if (Double.isNaN(forwardMs) || calls < MIN_CALLS) {
                return;
            }
            // tokens matched per call, each worth one forward, against what a call costs
            if (matchedSum / weight * forwardMs < callMillis) {
                pausedFor = nextPause;
                nextPause = Math.min(MAX_PAUSE, nextPause * 2);
            } else {
                nextPause = MIN_PAUSE;
            }
        }
    }

    private record Pending(int source, String key, Draft draft) {
    }

    /**
     * Step cost by forward width as the running decode measures it. The calibration times isolated
     * forwards; inside a decode a wide step also pays for the tree's attention, the verification of more
     * rows, caches the drafters cooled, and the JIT's code for that width, so its cost can differ from the
     * curve (measured up to 2x). The decode loop reports each step's forward and verification time;
     * each width keeps a running mean, and once a width has been seen {@link #MIN_SEEN}
     * times, its ratio to the plain step (measured the same way, or the calibrated one-token forward
     * while auto has not taken enough plain steps) replaces the calibrated cost. Widths not seen yet keep
     * the calibrated cost scaled by the correction of the nearest narrower width that was seen.
     */
    static final class StepCosts {
        static final int MIN_SEEN = 4;
        private static final double DECAY = 0.9;
        private final CostModel calibrated;
        private final double[] millis = new double[MAX_DEPTH + 2];
        private final int[] seen = new int[MAX_DEPTH + 2];

        StepCosts(CostModel calibrated) {
            this.calibrated = calibrated;
        }

        void observe(int width, double ms) {
            if (width < 1 || width >= millis.length || !(ms > 0)) {
                return;
            }
            millis[width] = seen[width] == 0 ? ms : DECAY * millis[width] + (1 - DECAY) * ms;
            seen[width]++;
        }

        /**
         * Never below the cost of one token fewer plus 1 %: measured widths are noisy, and a curve that
         * dipped would make a bigger tree look cheaper than a smaller one and let unlikely guesses in.
         */
        double cost(int tokens) {
            return tokens <= 1 ? 1.0 : Math.max(measuredOrCalibrated(tokens), cost(tokens - 1) + 0.01);
        }

        private double measuredOrCalibrated(int tokens) {
            double curve = calibrated.cost(tokens);
            // a plain step's time: measured, else the calibrated one-token forward (when auto always guesses)
            double plain = seen[1] >= MIN_SEEN ? millis[1] : calibrated.forwardMillis();
            if (tokens <= 1 || !(plain > 0)) {
                return curve;
            }
            for (int w = Math.min(tokens, millis.length - 1); w > 1; w--) {
                if (seen[w] >= MIN_SEEN) {
                    double measured = millis[w] / plain;
                    return w == tokens ? measured : curve * measured / calibrated.cost(w);
                }
            }
            return curve;
        }
    }

    @Override
    public void observe(List<Draft> branches, int chosenBranch, int accepted) {
        // Scoring waits for the next propose, when the model's own token is in the context too.
    }

    @Override
    public void observeStep(int tokens, double millis) {
        stepCosts.observe(tokens, millis);
    }

    @Override
    public void observeForward(int[] tokens, float[][] logits) {
        ForwardObserver.tellEach(sources, tokens, logits);
    }

    @Override
    public void finish(DraftContext context) {
        for (Drafter d : sources) {
            d.finish(context);
        }
    }

    @Override
    public void reset() {
        pending.clear();
        lastBranches = List.of();
        pausedFor = 0;
        pendingAt = -1;
        for (Drafter d : sources) {
            d.reset();
        }
        // the acceptance estimates carry over: a new prompt is usually the same kind of code
    }

    /** Exponentially forgetting acceptance frequency, starting from a weak prior. */
    static final class Rate {
        private double accepted = PRIOR_ACCEPTED * PRIOR_WEIGHT;
        private double total = PRIOR_WEIGHT;

        void update(boolean ok) {
            accepted = accepted * DECAY + (ok ? 1 : 0);
            total = total * DECAY + 1;
        }

        double value() {
            return accepted / total;
        }
    }

    /** A node of the proposal tree. */
    private static final class Node {
        final int token;
        final Node parent;
        final int depth;
        final Map<Integer, Node> children = new LinkedHashMap<>();
        String rule;
        double bestRate;
        double missAll = 1.0; // product of (1 - r) over the sources proposing this node
        double p;
        boolean selected;

        Node(int token, Node parent, double r, String rule) {
            this.token = token;
            this.parent = parent;
            this.depth = parent == null ? 0 : parent.depth + 1;
            this.rule = rule;
        }

        Node child(int id, String source, double r) {
            Node c = children.computeIfAbsent(id, k -> new Node(k, this, r, source));
            c.missAll *= 1 - r;
            if (r > c.bestRate) {
                c.bestRate = r;
                c.rule = source;
            }
            return c;
        }

        /** Sets p = P(path to this node accepted); siblings never sum above their parent. */
        void collect(List<Node> out, double parentP) {
            double sum = 0;
            for (Node c : children.values()) {
                sum += 1 - c.missAll;
            }
            double scale = sum > 0.98 ? 0.98 / sum : 1.0;
            for (Node c : children.values()) {
                c.p = parentP * (1 - c.missAll) * scale;
                out.add(c);
                c.collect(out, c.p);
            }
        }

        Draft path() {
            int[] tokens = new int[depth];
            String[] rules = new String[depth];
            for (Node n = this; n.parent != null; n = n.parent) {
                tokens[n.depth - 1] = n.token;
                rules[n.depth - 1] = n.rule;
            }
            return new Draft(tokens, rules, null);
        }
    }
}
