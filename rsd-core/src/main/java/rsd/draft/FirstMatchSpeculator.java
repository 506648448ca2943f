package rsd.draft;

import java.util.List;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.decode.ForwardObserver;
import rsd.decode.Speculator;

/**
 * A fixed-policy speculator for single-source and ablation modes: the first drafter (in order) that has a
 * guess proposes up to {@code maxDraft} tokens, verified as one branch; when that guess is shorter than
 * {@code minDraft} the step is plain (as llama.cpp's {@code --draft-min}). No cost model.
 */
public final class FirstMatchSpeculator implements Speculator, ForwardObserver {
    private final List<Drafter> drafters;
    private final int maxDraft;
    private final int minDraft;

    public FirstMatchSpeculator(List<Drafter> drafters, int maxDraft) {
        this(drafters, maxDraft, 0);
    }

    public FirstMatchSpeculator(List<Drafter> drafters, int maxDraft, int minDraft) {
        this.drafters = List.copyOf(drafters);
        this.maxDraft = maxDraft;
        this.minDraft = minDraft;
    }

    @Override
    public List<Draft> propose(DraftContext context, int maxTokens) {
        int limit = Math.min(maxTokens, maxDraft);
        for (Drafter d : drafters) {
            Draft draft = d.propose(context, limit);
            if (!draft.isEmpty()) {
                return draft.size() < minDraft ? List.of() : List.of(draft);
            }
        }
        return List.of();
    }

    @Override
    public void observe(List<Draft> branches, int chosenBranch, int accepted) {
        if (chosenBranch >= 0 && !branches.isEmpty()) {
            Draft d = branches.get(chosenBranch);
            for (Drafter drafter : drafters) {
                if (drafter.name().equals(d.rules()[0])) {
                    drafter.observe(d, accepted);
                }
            }
        }
    }

    @Override
    public void observeForward(int[] tokens, float[][] logits) {
        ForwardObserver.tellEach(drafters, tokens, logits);
    }

    @Override
    public void finish(DraftContext context) {
        drafters.forEach(d -> d.finish(context));
    }

    @Override
    public void reset() {
        drafters.forEach(Drafter::reset);
    }
}
