package rsd.draft;

import java.util.Arrays;
import java.util.SplittableRandom;
import rsd.decode.Draft;
import rsd.decode.DraftContext;
import rsd.decode.Drafter;
import rsd.decode.GenerationSettings;
import rsd.decode.Sampler;
import rsd.decode.SamplingAware;
import rsd.model.LanguageModel;
import rsd.model.Session;

/**
 * Classic speculative decoding: a small draft model with its own KV cache proposes up to gamma tokens.
 * Greedy generation takes the draft's argmax; with sampling, the draft samples from its own distribution
 * q under the same temperature/top-k/top-p transform, and hands q to the verifier in
 * {@link Draft#probabilities()} for the min(1, p/q) rule.
 *
 * <p>With a confidence floor {@code pMin} > 0 (llama.cpp's {@code p_min}) the draft stops before the
 * first token its own distribution gives less than pMin: an unsure guess is usually rejected, and both
 * its draft forward and its verification cost time. The decision depends on the draft model alone, so
 * verification stays lossless.
 *
 * <p>The draft cache is brought in line with the context at every proposal: the longest common prefix of
 * what it holds and the accepted tokens is kept, the rest is truncated and the new tokens are fed in one
 * batched forward, so a rejection costs a truncate and never a copy.
 */
public final class DraftModelDrafter implements Drafter, SamplingAware, AutoCloseable {
    public static final String NAME = "draft";

    private final LanguageModel model;
    private final int capacity;
    private final double pMin;
    private Session session;
    private int[] cached = new int[256];
    private int cachedLength;
    private GenerationSettings settings = GenerationSettings.greedy(0);
    private SplittableRandom random = new SplittableRandom(0);
    private long forwardPasses;

    public DraftModelDrafter(LanguageModel model, int capacity) {
        this(model, capacity, 0.0);
    }

    /** @param pMin stop drafting before a token the draft model gives less probability than this (0: never) */
    public DraftModelDrafter(LanguageModel model, int capacity, double pMin) {
        if (!(pMin >= 0 && pMin < 1)) {
            throw new IllegalArgumentException("pMin must be in [0, 1), got " + pMin);
        }
        this.model = model;
        this.capacity = Math.min(capacity, model.contextLength());
        this.pMin = pMin;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Forward passes of the draft model so far (prefill included), for reports. */
    public long forwardPasses() {
        return forwardPasses;
    }

    @Override
    public void startSequence(GenerationSettings settings) {
        this.settings = settings;
        // A stream of its own, derived from the seed, so the whole run is reproducible.
        this.random = new SplittableRandom(settings.seed() ^ 0x5DEECE66DL);
    }

    @Override
    public Draft propose(DraftContext context, int maxTokens) {
        int n = context.length();
        int gamma = Math.min(maxTokens, capacity - n);
        if (gamma <= 0 || n == 0) {
            return Draft.EMPTY;
        }
        if (session == null) {
            session = model.newSession(capacity);
            cachedLength = 0;
        }
        // Keep what still matches; always re-feed at least the last token to get its logits.
        int common = 0;
        int limit = Math.min(cachedLength, n - 1);
        while (common < limit && cached[common] == context.token(common)) {
            common++;
        }
        int[] fresh = new int[n - common];
        for (int i = 0; i < fresh.length; i++) {
            fresh[i] = context.token(common + i);
        }
        float[] logits = session.prefill(fresh, common);
        forwardPasses++;
        setCached(common, fresh);

        boolean greedy = settings.temperature() <= 0f;
        int[] tokens = new int[gamma];
        float[][] probabilities = greedy ? null : new float[gamma][];
        int drafted = 0;
        for (int i = 0; i < gamma; i++) {
            int x;
            if (greedy) {
                x = Sampler.argmax(logits);
                if (pMin > 0 && topProbability(logits, x) < pMin) {
                    break;
                }
            } else {
                float[] q = Sampler.distribution(logits, settings);
                if (pMin > 0 && q[Sampler.argmax(q)] < pMin) {
                    break; // decided before sampling, from q alone
                }
                x = Sampler.sample(q, random);
                probabilities[i] = q;
            }
            tokens[i] = x;
            drafted++;
            if (i + 1 < gamma) {
                logits = session.forward(new int[] {x}, n + i)[0];
                forwardPasses++;
                setCached(n + i, new int[] {x});
            }
        }
        if (drafted == 0) {
            return Draft.EMPTY;
        }
        String[] rules = new String[drafted];
        Arrays.fill(rules, NAME);
        return new Draft(Arrays.copyOf(tokens, drafted), rules,
                probabilities == null ? null : Arrays.copyOf(probabilities, drafted));
    }

    /** softmax(logits)[best], where best is the argmax. */
    static double topProbability(float[] logits, int best) {
        float max = logits[best];
        double sum = 0;
        for (float l : logits) {
            sum += Math.exp(l - max);
        }
        return 1.0 / sum;
    }

    private void setCached(int from, int[] tokens) {
        int need = from + tokens.length;
        if (need > cached.length) {
            cached = Arrays.copyOf(cached, Math.max(need, cached.length * 2));
        }
        System.arraycopy(tokens, 0, cached, from, tokens.length);
        cachedLength = need;
    }

    @Override
    public void reset() {
        // The cache may be reused by the next prompt: the common-prefix check keeps what still applies.
    }

    @Override
    public void close() {
        if (session != null) {
            session.close();
            session = null;
        }
    }
}
