package rsd;

import java.util.ArrayList;
import java.util.List;
import rsd.decode.Decoder;
import rsd.decode.Drafter;
import rsd.decode.NoSpeculation;
import rsd.decode.SingleDrafterSpeculator;
import rsd.decode.Speculator;
import rsd.draft.AutoSpeculator;
import rsd.draft.DraftModelDrafter;
import rsd.draft.FirstMatchSpeculator;
import rsd.draft.IndentDrafter;
import rsd.draft.LookupDrafter;
import rsd.draft.MemoryDrafter;
import rsd.draft.PatternDrafter;
import rsd.draft.RecyclingDrafter;
import rsd.draft.datastore.DatastoreDrafter;
import rsd.draft.rules.Rules;
import rsd.error.RsdException;
import rsd.model.LanguageModel;

/**
 * The registry of decoding modes: a name to a {@link Speculator}. Every mode is lossless (greedy output
 * identical to standard; sampling with the same distribution). To add a mode, add a case to
 * {@link #create} and its name to {@link #available}.
 */
public final class Modes {
    public static final String STANDARD = "standard";
    public static final String INDENT = "indent";
    public static final String DRAFT = "draft";
    /** Cost-aware: all rules, lookup, patterns, indent, the model's recycled predictions (and a code datastore and the memory of earlier outputs when given) as one token tree, sized by the cost curve. */
    public static final String AUTO = "auto";
    /** Ablation: the rules only (first rule with a guess, up to gamma tokens). */
    public static final String RULES = "rules";
    /** Ablation: context n-gram lookup only. */
    public static final String LOOKUP = "lookup";
    /** Ablation: the mined n-gram table only. */
    public static final String PATTERNS = "patterns";
    /** Ablation: the model's own earlier predictions only (token recycling), one chain of the top successors. */
    public static final String RECYCLE = "recycle";

    private Modes() {
    }

    /** Modes that can run with these resources, standard first. */
    public static List<String> available(ModeResources res) {
        List<String> modes = new ArrayList<>(List.of(STANDARD, INDENT, RULES, LOOKUP, PATTERNS, RECYCLE, AUTO));
        if (res.draftModel() != null) {
            modes.add(DRAFT);
        }
        return modes;
    }

    /** A fresh speculator for {@code mode}; an unknown or unavailable mode is a user error. */
    public static Speculator create(String mode, ModeResources res) {
        return switch (mode) {
            case STANDARD -> new NoSpeculation();
            case INDENT -> new SingleDrafterSpeculator(new IndentDrafter(res.tokenizer()), res.gamma(), res.draftMin());
            case DRAFT -> new SingleDrafterSpeculator(new DraftModelDrafter(draftModel(res),
                    res.model().contextLength(), res.draftPMin()), res.gamma(), res.draftMin());
            case RULES -> new FirstMatchSpeculator(Rules.all(), res.gamma(), res.draftMin());
            case LOOKUP -> new FirstMatchSpeculator(List.of(new LookupDrafter()), res.gamma(), res.draftMin());
            case PATTERNS -> new FirstMatchSpeculator(List.of(new PatternDrafter()), res.gamma(), res.draftMin());
            case RECYCLE -> new FirstMatchSpeculator(List.of(new RecyclingDrafter()), res.gamma(), res.draftMin());
            case AUTO -> new AutoSpeculator(autoSources(res), res.costModel().get());
            default -> throw new RsdException("unknown mode '" + mode + "'; available modes: "
                    + String.join(", ", available(res)));
        };
    }

    /** The sources the auto mode chooses from. */
    private static List<Drafter> autoSources(ModeResources res) {
        List<Drafter> sources = new ArrayList<>(Rules.all());
        sources.add(new IndentDrafter(res.tokenizer()));
        sources.add(new LookupDrafter());
        sources.add(new PatternDrafter());
        sources.add(new RecyclingDrafter());
        if (res.datastore() != null) {
            sources.add(new DatastoreDrafter(res.datastore()));
        }
        if (res.memory() != null) {
            sources.add(new MemoryDrafter(res.memory()));
        }
        return sources;
    }

    /** A decoder for {@code mode}. */
    public static Decoder decoder(String mode, ModeResources res) {
        return new Decoder(res.model(), res.tokenizer(), create(mode, res), mode);
    }

    private static LanguageModel draftModel(ModeResources res) {
        if (res.draftModel() == null) {
            throw new RsdException("mode 'draft' needs a draft model (--draft-model FILE)");
        }
        LanguageModel draft = res.draftModel().get();
        if (draft.vocabSize() != res.model().vocabSize()) {
            throw new RsdException("the draft model " + draft.name() + " has " + draft.vocabSize()
                    + " tokens but the model " + res.model().name() + " has " + res.model().vocabSize()
                    + "; a draft model must share the tokenizer");
        }
        return draft;
    }
}
