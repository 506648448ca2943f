package rsd.metrics;

import java.util.List;

/**
 * One decoding step: at cache position {@code position} the loop verified {@code guessed} (proposed by
 * {@code rules}, one per token; the followed branch when a tree was verified), the model accepted the
 * first {@code accepted} of them, then emitted its own token {@code modelToken} (-1 if generation stopped
 * before it). {@code treeSize} is the number of guessed tokens verified in the forward (all branches);
 * {@code otherBranches} are the tree's other root-to-leaf paths, each from where it leaves the followed one.
 */
public record StepTrace(int position, int[] guessed, String[] rules, int accepted, int modelToken,
                        int treeSize, double millis, List<Branch> otherBranches) {

    /**
     * A branch verified in the same forward but not followed: it shares the followed branch's first
     * {@code from} guessed tokens, then guessed {@code guessed} (all rejected: the model chose otherwise at
     * depth {@code from}).
     */
    public record Branch(int from, int[] guessed, String[] rules) {
    }

    public StepTrace {
        otherBranches = List.copyOf(otherBranches);
    }

    /** A step with no other branches (a chain, or nothing guessed). */
    public StepTrace(int position, int[] guessed, String[] rules, int accepted, int modelToken, int treeSize,
                     double millis) {
        this(position, guessed, rules, accepted, modelToken, treeSize, millis, List.of());
    }
}
