package rsd.decode;

/**
 * A {@link TokenListener} that also sees, for every emitted token, the target model's logits at the
 * position that token was chosen for: the row of the verification forward the token was accepted (or
 * drawn) from. Since a token's logits never depend on how many tokens shared its forward, these are the
 * same in every mode for the same tokens. Clients compute log-probabilities from them (OpenAI's
 * {@code logprobs}).
 */
public interface LogitsListener extends TokenListener {
    /**
     * Called just before {@link #onToken} for the same token. {@code logits} belongs to the decoder and
     * is valid only during the call: copy what you need.
     */
    void onLogits(int id, float[] logits);
}
