package rsd.decode;

import java.util.List;

/**
 * Decides what to verify in the next forward pass: zero, one or several branches of guesses. Simple
 * modes wrap one {@link Drafter}; {@code auto} combines many with a cost model. Branches may share
 * prefixes; the decode loop verifies them as one token tree when there are several.
 */
public interface Speculator {
    /** Branches to verify next (empty list: no guess, a plain decoding step). */
    List<Draft> propose(DraftContext context, int maxTokens);

    /** After verification: which branch was followed (-1 if none) and how many of its tokens were accepted. */
    void observe(List<Draft> branches, int chosenBranch, int accepted);

    /** Called when a new sequence starts. */
    default void reset() {
    }

    /** Called when a sequence has ended, with everything it holds (prompt, then the generated tokens). */
    default void finish(DraftContext context) {
    }
}
