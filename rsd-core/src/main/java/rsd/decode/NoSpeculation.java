package rsd.decode;

import java.util.List;

/** Standard decoding: never guesses, so every forward pass verifies only the last token. */
public final class NoSpeculation implements Speculator {
    @Override
    public List<Draft> propose(DraftContext context, int maxTokens) {
        return List.of();
    }

    @Override
    public void observe(List<Draft> branches, int chosenBranch, int accepted) {
    }
}
