package rsd.decode;

/** Receives generated text as it is accepted, for streaming output. */
@FunctionalInterface
public interface TokenListener {
    /**
     * Called once per emitted token, in order. {@code text} is the newly completed text (possibly empty
     * while a UTF-8 character or a possible stop string is held back); {@code fromGuess} is true when the
     * token was won by an accepted guess (shown green), false for the model's own token.
     */
    void onToken(int id, String text, boolean fromGuess);
}
