package rsd.testing;

import java.util.Random;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;

/**
 * Guesses from a known reference continuation (e.g. standard decoding's output) with random errors, so
 * that a real model accepts some guesses and rejects others: every verification path runs on the engine.
 */
public final class ReplayDrafter implements Drafter {
    private final int promptLength;
    private final int[] reference;
    private final double errorRate;
    private final Random random;
    private final int vocab;

    public ReplayDrafter(int promptLength, int[] reference, double errorRate, long seed, int vocab) {
        this.promptLength = promptLength;
        this.reference = reference;
        this.errorRate = errorRate;
        this.random = new Random(seed);
        this.vocab = vocab;
    }

    @Override
    public String name() {
        return "replay";
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        int at = context.length() - promptLength;
        int k = Math.min(1 + random.nextInt(maxTokens), reference.length - at);
        if (k <= 0) {
            return Draft.EMPTY;
        }
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            out[i] = random.nextDouble() < errorRate ? random.nextInt(256) : reference[at + i];
        }
        return Draft.of("replay", out);
    }
}
