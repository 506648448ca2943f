package rsd.decode;

import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Decides which guesses the model accepts, losslessly.
 *
 * <p>Greedy: walk down from the root while the model's argmax is one of the children.
 *
 * <p>Sampling: at each node, with p the target distribution there, the children are tried in turn. A
 * child x with draft distribution q is accepted with probability min(1, p(x)/q(x)); a deterministic
 * guess is q = one-hot(x), so that is simply p(x). On rejection p becomes normalise(max(0, p - q)) (for
 * one-hot q: p with x removed) and the next sibling is tried on it. If no child is accepted, the model's
 * token is drawn from the last p; if the walk reaches a leaf, a bonus token is drawn from the leaf's p.
 * Each emitted token is then distributed exactly as plain sampling from p would give.
 */
final class Verifier {
    /** Accepted nodes (root excluded), in order, and the model's own next token. */
    record Outcome(int[] path, int modelToken) {
        int accepted() {
            return path.length;
        }
    }

    /** Acceptance rule, replaceable only so that a test can show a broken rule fails the statistics. */
    interface AcceptanceRule {
        boolean accept(float[] p, float[] q, int x, RandomGenerator random);
    }

    static final AcceptanceRule LOSSLESS = (p, q, x, random) -> {
        double ratio = q == null ? p[x] : (q[x] > 0 ? p[x] / q[x] : 1.0);
        return random.nextDouble() < Math.min(1.0, ratio);
    };

    private Verifier() {
    }

    static Outcome greedy(TokenTree tree, float[][] logits) {
        int[] path = new int[tree.guessCount()];
        int accepted = 0;
        int node = 0;
        while (true) {
            int target = Sampler.argmax(logits[node]);
            int next = -1;
            for (int c : tree.children(node)) {
                if (tree.token(c) == target) {
                    next = c;
                    break;
                }
            }
            if (next < 0) {
                return new Outcome(Arrays.copyOf(path, accepted), target);
            }
            path[accepted++] = next;
            node = next;
        }
    }

    static Outcome sample(TokenTree tree, float[][] logits, GenerationSettings settings, RandomGenerator random,
                          AcceptanceRule rule) {
        int[] path = new int[tree.guessCount()];
        int accepted = 0;
        int node = 0;
        outer:
        while (true) {
            float[] p = Sampler.distribution(logits[node], settings);
            List<Integer> children = tree.children(node);
            for (int c : children) {
                int x = tree.token(c);
                float[] q = tree.draftProbabilities(c);
                if (rule.accept(p, q, x, random)) {
                    path[accepted++] = c;
                    node = c;
                    continue outer;
                }
                p = residual(p, q, x);
            }
            return new Outcome(Arrays.copyOf(path, accepted), Sampler.sample(p, random));
        }
    }

    /** normalise(max(0, p - q)), with q = one-hot(x) when null. Keeps p if rounding leaves no mass. */
    static float[] residual(float[] p, float[] q, int x) {
        float[] r = p.clone();
        if (q == null) {
            r[x] = 0f;
        } else {
            int n = Math.min(r.length, q.length);
            for (int i = 0; i < n; i++) {
                r[i] = Math.max(0f, r[i] - q[i]);
            }
        }
        return Sampler.normalise(r) ? r : p;
    }
}
