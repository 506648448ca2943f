package rsd.decode;

import java.util.function.BooleanSupplier;
import rsd.tokenizer.Tokenizer;

/** Generates a continuation of a prompt; the CLI, the bench runner and the server all go through it. */
public interface TextGenerator {
    /**
     * Generates after {@code promptIds} (BOS already added by the caller when wanted). Streams through
     * {@code listener} (may be null) and stops early when {@code cancelled} turns true.
     */
    GenerationResult generate(int[] promptIds, GenerationSettings settings, TokenListener listener,
                              BooleanSupplier cancelled);

    Tokenizer tokenizer();

    /** The mode name ("standard", "indent", "auto", ...). */
    String mode();
}
