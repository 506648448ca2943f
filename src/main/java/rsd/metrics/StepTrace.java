package rsd.metrics;

/**
 * One decoding step: at cache position {@code position} the loop verified {@code guessed} (proposed by
 * {@code rules}, one per token; the followed branch when a tree was verified), the model accepted the
 * first {@code accepted} of them, then emitted its own token {@code modelToken} (-1 if generation stopped
 * before it). {@code treeSize} is the number of guessed tokens verified in the forward (all branches).
 */
public record StepTrace(int position, int[] guessed, String[] rules, int accepted, int modelToken,
                        int treeSize, double millis) {
}
