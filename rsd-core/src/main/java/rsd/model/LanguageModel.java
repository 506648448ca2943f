package rsd.model;

/**
 * A causal language model that can score a batch of tokens in one forward pass. The engine's Llama
 * implementation is the real one; tests also use small fakes. Thread-safe for use by several sessions
 * one forward at a time per session.
 */
public interface LanguageModel extends AutoCloseable {
    /** Number of logits per position. */
    int vocabSize();

    /** Largest context this model supports (after any --ctx cap). */
    int contextLength();

    /** A short human-readable name (file name or architecture). */
    String name();

    /** A fresh KV cache for one sequence, holding at most {@code capacity} positions. */
    Session newSession(int capacity);

    /**
     * Untimed forwards over every width 1..maxWidth, in rounds, for about {@code budgetNanos} (at least one
     * round), so that the JIT has compiled every kernel path before anything is timed. Verification
     * forwards over 2, 3, ... tokens take paths plain decoding never runs, and their first calls run
     * interpreted: the first T = 2 and T = 3 forwards of the embedded model took 54 and 174 ms where a warm
     * one takes about 2 ms, which a benchmark would book against the speculative modes.
     */
    default void warmUp(int maxWidth, long budgetNanos) {
        int prefix = Math.min(32, Math.max(1, contextLength() - maxWidth - 1));
        int widest = Math.min(maxWidth, contextLength() - prefix);
        if (widest < 1) {
            return;
        }
        int[] tokens = new int[prefix + widest];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = (i * 7919 + 13) % vocabSize();
        }
        try (Session s = newSession(prefix + widest)) {
            s.prefill(java.util.Arrays.copyOf(tokens, prefix), 0);
            long start = System.nanoTime();
            do {
                for (int t = 1; t <= widest; t++) {
                    s.forward(java.util.Arrays.copyOfRange(tokens, prefix, prefix + t), prefix);
                }
            } while (System.nanoTime() - start < budgetNanos);
        }
    }

    @Override
    void close();
}
