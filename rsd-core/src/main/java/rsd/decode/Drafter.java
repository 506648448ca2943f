package rsd.decode;

/**
 * Proposes guesses for the tokens that come next. Drafters never touch the model's KV cache; the decode
 * loop owns it. A drafter sees the context as token ids and as decoded text and emits token ids.
 */
public interface Drafter {
    /** Short name used in metrics, traces and reports ("indent", "lookup", ...). */
    String name();

    /**
     * Guesses up to {@code maxTokens} tokens that follow the context. Returns an empty draft when it has
     * no guess.
     */
    Draft propose(DraftContext context, int maxTokens);

    /**
     * Told after verification how many of its proposed tokens the model accepted, so that a drafter can
     * adapt. Default: ignore.
     */
    default void observe(Draft proposed, int accepted) {
    }

    /** Called when a new sequence starts. */
    default void reset() {
    }

    /** Called when a sequence has ended, with everything it holds (prompt, then the generated tokens). */
    default void finish(DraftContext context) {
    }
}
