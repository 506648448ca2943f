package rsd.decode;

/**
 * Implemented by a speculator (or a drafter inside one) that learns from the model's own predictions.
 * Every verification forward computes the logits of every position of the token tree anyway; the decode
 * loop shows them here at no extra forward. Observers must not modify what they are given, and what
 * they learn can only change later guesses, never the output.
 */
public interface ForwardObserver {
    /**
     * After a verification forward: {@code tokens[i]} was the input at tree node i (node 0 is the last
     * accepted token) and {@code logits[i]} is what the model predicts for the token after it there.
     */
    void observeForward(int[] tokens, float[][] logits);

    /**
     * After a step: how long its forward over {@code tokens} tokens and the verification took, so that a
     * speculator can size its trees by what steps cost in this run rather than in a calibration.
     */
    default void observeStep(int tokens, double millis) {
    }

    /** Passes a forward on to those of a speculator's drafters that observe forwards. */
    static void tellEach(java.util.List<? extends Drafter> drafters, int[] tokens, float[][] logits) {
        for (Drafter d : drafters) {
            if (d instanceof ForwardObserver o) {
                o.observeForward(tokens, logits);
            }
        }
    }
}
