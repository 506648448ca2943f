package rsd.decode;

import java.util.function.Supplier;
import rsd.model.LanguageModel;
import rsd.tokenizer.Tokenizer;

/**
 * What modes can be built from: the target model and its tokenizer, the longest guess a step may verify
 * ({@code gamma}), and a draft model (loaded on first use; null when there is none).
 */
public record ModeResources(LanguageModel model, Tokenizer tokenizer, int gamma,
                            Supplier<LanguageModel> draftModel) {
    public static final int DEFAULT_GAMMA = 4;

    public ModeResources {
        if (gamma < 1) {
            throw new rsd.RsdException("gamma must be >= 1, got " + gamma);
        }
    }

    public static ModeResources of(LanguageModel model, Tokenizer tokenizer) {
        return new ModeResources(model, tokenizer, DEFAULT_GAMMA, null);
    }
}
