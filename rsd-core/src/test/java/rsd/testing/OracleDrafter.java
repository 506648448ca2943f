package rsd.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.decode.Sampler;

/**
 * A drafter that knows the fake model: it guesses the model's greedy continuation, but each guessed
 * token is replaced by a wrong one with probability {@code errorRate}, so steps accept a random number
 * of guesses (all, some, none), exercising every path of verification.
 */
public final class OracleDrafter implements Drafter {
    private final FakeModel model;
    private final double errorRate;
    private final Random random;
    private final String name;

    public OracleDrafter(FakeModel model, double errorRate, long seed, String name) {
        this.model = model;
        this.errorRate = errorRate;
        this.random = new Random(seed);
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        List<Integer> history = new ArrayList<>();
        for (int i = 0; i < context.length(); i++) {
            history.add(context.token(i));
        }
        int k = 1 + random.nextInt(maxTokens);
        int[] out = new int[k];
        for (int i = 0; i < k; i++) {
            int t = Sampler.argmax(model.logitsAfter(history));
            if (random.nextDouble() < errorRate) {
                t = 2 + Math.floorMod(t + 1 + random.nextInt(model.vocabSize() - 3) - 2, model.vocabSize() - 2);
            }
            out[i] = t;
            history.add(t);
        }
        return Draft.of(name, out);
    }
}
