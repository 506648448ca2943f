package rsd.model;

/**
 * One sequence's KV cache plus the forward passes that fill it. Positions 0..length()-1 are cached.
 * Rejecting guesses is {@link #truncate(int)}: nothing is copied.
 */
public interface Session extends AutoCloseable {
    /** Maximum number of positions. */
    int capacity();

    /** Number of positions currently cached. */
    int length();

    /**
     * Drops cached positions from {@code startPos} on (startPos must be <= length()), runs the model over
     * {@code tokens} placed at startPos.., caches them, and returns the logits of EVERY position:
     * {@code result[i]} is the next-token distribution after tokens[i]. One batched forward.
     */
    float[][] forward(int[] tokens, int startPos);

    /**
     * Like {@link #forward} but returns only the last position's logits; long inputs are processed in
     * chunks through the same batched path (prompt prefill).
     */
    float[] prefill(int[] tokens, int startPos);

    /**
     * Token-tree forward: node i holds tokens[i]; parents[i] is the index of its parent node, or -1 when
     * its parent is the token at startPos-1 (already cached). Each node attends to the cache before
     * startPos and to its own ancestors only; node i sits at position startPos + depth(i). Returns the
     * logits of every node. Afterwards the cache holds the nodes at startPos.. in node order, which is
     * NOT a valid sequence until {@link #keepPath} is called.
     */
    float[][] forwardTree(int[] tokens, int[] parents, int startPos);

    /**
     * After forwardTree at startPos: keep the cache entries of the nodes in {@code path} (a root-to-leaf
     * chain of node indices, in order) at positions startPos.., and truncate after them.
     */
    void keepPath(int startPos, int[] path);

    /** Keeps positions 0..n-1 only. */
    void truncate(int n);

    @Override
    default void close() {
    }
}
