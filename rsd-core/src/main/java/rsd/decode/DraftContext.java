package rsd.decode;

import rsd.tokenizer.Tokenizer;

/**
 * What a drafter may look at: every token so far (prompt then generated), and the same as text. The
 * decode loop keeps it up to date incrementally; drafters must not modify what it returns.
 */
public interface DraftContext {
    /** Number of tokens so far (prompt + generated). */
    int length();

    /** Token at index i (0 <= i < length()). */
    int token(int i);

    /** A copy of the last n tokens (fewer if the context is shorter). */
    int[] lastTokens(int n);

    /** Number of prompt tokens (the first promptLength() tokens). */
    int promptLength();

    /** The decoded text of all tokens so far (prompt + generated). */
    CharSequence text();

    /** The model's tokenizer, to turn guessed text into exact ids. */
    Tokenizer tokenizer();
}
