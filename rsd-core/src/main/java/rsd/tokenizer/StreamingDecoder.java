package rsd.tokenizer;

/** Turns a stream of token ids into text, holding back bytes of an unfinished UTF-8 character. */
public interface StreamingDecoder {
    /** Adds one token; returns the text completed by it (possibly empty). */
    String push(int id);

    /** Returns whatever is held back (incomplete bytes as U+FFFD) and resets. */
    String flush();
}
