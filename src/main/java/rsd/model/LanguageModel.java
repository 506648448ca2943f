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

    @Override
    void close();
}
