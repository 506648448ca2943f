package rsd;

import java.util.function.Supplier;
import rsd.draft.CostModel;
import rsd.draft.OutputMemory;
import rsd.draft.datastore.Datastore;
import rsd.error.RsdException;
import rsd.model.LanguageModel;
import rsd.tokenizer.Tokenizer;

/**
 * What modes can be built from: the target model and its tokenizer, the longest guess a step may verify
 * ({@code gamma}), the draft model's confidence floor ({@code draftPMin}: it stops drafting before a
 * token it gives less probability than this, as llama.cpp's {@code p_min}; 0 = always gamma tokens), and
 * a draft model (loaded on first use; null when there is none), the target's forward cost curve for
 * mode auto (asked for on first use; whoever opened the model knows its file and where to report a
 * calibration), a code datastore that {@code auto} drafts from (null when there is none; its owner
 * closes it), a memory of earlier outputs that {@code auto} drafts from, shared by every decoder built
 * from these resources (null: none), and the shortest guess worth verifying ({@code draftMin}, as
 * llama.cpp's {@code --draft-min}: a single-source mode whose guess has fewer tokens takes a plain step;
 * 0 = any guess). {@code gamma} and {@code draftMin} bound the single-source modes; {@code auto} sizes
 * its token trees by the cost curve instead.
 */
public record ModeResources(LanguageModel model, Tokenizer tokenizer, int gamma, double draftPMin,
                            Supplier<LanguageModel> draftModel, Supplier<CostModel> costModel,
                            Datastore datastore, OutputMemory memory, int draftMin) {
    public static final int DEFAULT_GAMMA = 4;
    public static final double DEFAULT_DRAFT_P_MIN = 0.0;
    public static final int DEFAULT_DRAFT_MIN = 0;

    public ModeResources {
        check(gamma, draftPMin, draftMin);
    }

    /** Resources that verify every guess, however short. */
    public ModeResources(LanguageModel model, Tokenizer tokenizer, int gamma, double draftPMin,
                         Supplier<LanguageModel> draftModel, Supplier<CostModel> costModel,
                         Datastore datastore, OutputMemory memory) {
        this(model, tokenizer, gamma, draftPMin, draftModel, costModel, datastore, memory, DEFAULT_DRAFT_MIN);
    }

    /** Resources without a memory of earlier outputs. */
    public ModeResources(LanguageModel model, Tokenizer tokenizer, int gamma, double draftPMin,
                         Supplier<LanguageModel> draftModel, Supplier<CostModel> costModel, Datastore datastore) {
        this(model, tokenizer, gamma, draftPMin, draftModel, costModel, datastore, null);
    }

    /** The same resources with a memory of earlier outputs (null: none) that their decoders share. */
    public ModeResources withMemory(OutputMemory outputs) {
        return new ModeResources(model, tokenizer, gamma, draftPMin, draftModel, costModel, datastore, outputs, draftMin);
    }

    /** The settings' bounds, for callers that check before loading any model. */
    public static void check(int gamma, double draftPMin, int draftMin) {
        if (gamma < 1) {
            throw new RsdException("gamma must be >= 1, got " + gamma);
        }
        if (!(draftPMin >= 0 && draftPMin < 1)) {
            throw new RsdException("draft p-min must be in [0, 1), got " + draftPMin);
        }
        if (draftMin < 0 || draftMin > gamma) {
            throw new RsdException("draft min must be in 0.." + gamma + " (gamma, the longest guess), got " + draftMin);
        }
    }

    /** Resources whose cost curve is measured on first use, without a cache (models without a file). */
    public ModeResources(LanguageModel model, Tokenizer tokenizer, int gamma, double draftPMin,
                         Supplier<LanguageModel> draftModel) {
        this(model, tokenizer, gamma, draftPMin, draftModel, () -> CostModel.forModel(model), null, null);
    }

    public ModeResources(LanguageModel model, Tokenizer tokenizer, int gamma, Supplier<LanguageModel> draftModel) {
        this(model, tokenizer, gamma, DEFAULT_DRAFT_P_MIN, draftModel);
    }

    public static ModeResources of(LanguageModel model, Tokenizer tokenizer) {
        return new ModeResources(model, tokenizer, DEFAULT_GAMMA, null);
    }
}
