package rsd.decode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The tokens of one verification forward: node 0 is the last accepted token (already emitted, not yet
 * cached), the other nodes are the guesses of every branch merged into a trie, so a prefix that several
 * branches share is verified once. A single branch is a chain and goes through the plain batched forward.
 */
final class TokenTree {
    private int size;
    private int[] tokens;
    private int[] parents;
    private String[] rules;
    private float[][] draftProbabilities;
    private int[] branchOf;
    private final List<List<Integer>> children = new ArrayList<>();
    private boolean chain = true;

    private TokenTree(int capacity) {
        tokens = new int[capacity];
        parents = new int[capacity];
        rules = new String[capacity];
        draftProbabilities = new float[capacity][];
        branchOf = new int[capacity];
    }

    /** Builds the tree; each branch is cut to {@code maxDepth} guessed tokens. */
    static TokenTree build(int lastToken, List<Draft> branches, int maxDepth) {
        int total = 1;
        for (Draft d : branches) {
            total += Math.min(d.size(), Math.max(0, maxDepth));
        }
        TokenTree t = new TokenTree(total);
        t.add(lastToken, -1, null, null, -1);
        for (int b = 0; b < branches.size(); b++) {
            Draft d = branches.get(b);
            int node = 0;
            int depth = Math.min(d.size(), Math.max(0, maxDepth));
            for (int i = 0; i < depth; i++) {
                int existing = t.child(node, d.tokens()[i]);
                if (existing >= 0) {
                    node = existing;
                    continue;
                }
                float[] q = d.probabilities() == null ? null : d.probabilities()[i];
                String rule = d.rules() != null && i < d.rules().length ? d.rules()[i] : "unknown";
                node = t.add(d.tokens()[i], node, rule, q, b);
            }
        }
        return t;
    }

    private int add(int token, int parent, String rule, float[] q, int branch) {
        int id = size++;
        tokens[id] = token;
        parents[id] = parent;
        rules[id] = rule;
        draftProbabilities[id] = q;
        branchOf[id] = branch;
        children.add(new ArrayList<>(1));
        if (parent >= 0) {
            if (!children.get(parent).isEmpty()) {
                chain = false;
            }
            children.get(parent).add(id);
        }
        return id;
    }

    private int child(int node, int token) {
        for (int c : children.get(node)) {
            if (tokens[c] == token) {
                return c;
            }
        }
        return -1;
    }

    int size() {
        return size;
    }

    /** Number of guessed tokens (all nodes but the root). */
    int guessCount() {
        return size - 1;
    }

    /** True when the nodes form one chain in node order (plain batched forward suffices). */
    boolean isChain() {
        return chain;
    }

    int[] tokens() {
        return Arrays.copyOf(tokens, size);
    }

    /** Parents for Session.forwardTree: the root's parent is the cached token before it (-1). */
    int[] parents() {
        return Arrays.copyOf(parents, size);
    }

    int token(int node) {
        return tokens[node];
    }

    String rule(int node) {
        return rules[node];
    }

    float[] draftProbabilities(int node) {
        return draftProbabilities[node];
    }

    /** The branch that first proposed this node. */
    int branchOf(int node) {
        return branchOf[node];
    }

    List<Integer> children(int node) {
        return children.get(node);
    }
}
