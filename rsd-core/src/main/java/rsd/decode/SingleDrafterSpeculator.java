package rsd.decode;

import java.util.List;

/**
 * One drafter, one branch, at most {@code maxGuess} guessed tokens per step; a guess shorter than
 * {@code minGuess} is not verified (a plain step instead), as llama.cpp's {@code --draft-min}.
 */
public final class SingleDrafterSpeculator implements Speculator, SamplingAware, AutoCloseable {
    private final Drafter drafter;
    private final int maxGuess;
    private final int minGuess;

    public SingleDrafterSpeculator(Drafter drafter, int maxGuess) {
        this(drafter, maxGuess, 0);
    }

    public SingleDrafterSpeculator(Drafter drafter, int maxGuess, int minGuess) {
        if (maxGuess < 1) {
            throw new IllegalArgumentException("maxGuess must be >= 1, got " + maxGuess);
        }
        if (minGuess < 0 || minGuess > maxGuess) {
            throw new IllegalArgumentException("minGuess must be in 0.." + maxGuess + ", got " + minGuess);
        }
        this.drafter = drafter;
        this.maxGuess = maxGuess;
        this.minGuess = minGuess;
    }

    public Drafter drafter() {
        return drafter;
    }

    @Override
    public List<Draft> propose(DraftContext context, int maxTokens) {
        Draft d = drafter.propose(context, Math.min(maxGuess, maxTokens));
        return d == null || d.isEmpty() || d.size() < minGuess ? List.of() : List.of(d);
    }

    @Override
    public void observe(List<Draft> branches, int chosenBranch, int accepted) {
        if (!branches.isEmpty()) {
            drafter.observe(branches.get(0), accepted);
        }
    }

    @Override
    public void reset() {
        drafter.reset();
    }

    @Override
    public void startSequence(GenerationSettings settings) {
        if (drafter instanceof SamplingAware s) {
            s.startSequence(settings);
        }
    }

    @Override
    public void close() {
        if (drafter instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing drafter " + drafter.name(), e);
            }
        }
    }
}
