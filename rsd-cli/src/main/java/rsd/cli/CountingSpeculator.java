package rsd.cli;

import java.util.List;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.GenerationSettings;
import rsd.decode.SamplingAware;
import rsd.decode.Speculator;

/** Passes everything through to a speculator and counts the guessed tokens, for the live status line. */
final class CountingSpeculator implements Speculator, SamplingAware, AutoCloseable {
    private final Speculator inner;
    private long drafted;

    CountingSpeculator(Speculator inner) {
        this.inner = inner;
    }

    long drafted() {
        return drafted;
    }

    @Override
    public List<Draft> propose(DraftContext context, int maxTokens) {
        List<Draft> branches = inner.propose(context, maxTokens);
        if (branches != null) {
            // Shared prefixes are verified once; counting every branch token is close enough for a status line.
            for (Draft d : branches) {
                drafted += Math.min(d.size(), maxTokens);
            }
        }
        return branches;
    }

    @Override
    public void observe(List<Draft> branches, int chosenBranch, int accepted) {
        inner.observe(branches, chosenBranch, accepted);
    }

    @Override
    public void reset() {
        inner.reset();
    }

    @Override
    public void startSequence(GenerationSettings settings) {
        if (inner instanceof SamplingAware s) {
            s.startSequence(settings);
        }
    }

    @Override
    public void close() throws Exception {
        if (inner instanceof AutoCloseable c) {
            c.close();
        }
    }
}
