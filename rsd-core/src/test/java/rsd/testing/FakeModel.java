package rsd.testing;

import java.util.List;

/**
 * A deterministic stand-in for a language model: the logits after a position are a hash of the last
 * three tokens up to it. The sessions are {@link HistoryModel}'s, which hold to the Session contract.
 */
public final class FakeModel extends HistoryModel {
    private final int active;
    private final int context;
    private final long salt;
    private final float scale;
    private final float eosBias;

    /**
     * @param scale   spread of the logits (large: peaked distributions)
     * @param eosBias added to the logit of token 1 (the fake tokenizers' end of text); very negative to
     *                keep generations full length
     */
    public FakeModel(int vocab, int context, long salt, float scale, float eosBias) {
        this(vocab, vocab, context, salt, scale, eosBias);
    }

    /** Only ids below {@code active} get real logits (the rest -1e4): cheap fakes with a huge vocabulary. */
    public FakeModel(int vocab, int active, int context, long salt, float scale, float eosBias) {
        super(vocab);
        this.active = active;
        this.context = context;
        this.salt = salt;
        this.scale = scale;
        this.eosBias = eosBias;
    }

    @Override
    public float[] logitsAfter(List<Integer> history) {
        int n = history.size();
        long h = salt * 0x9E3779B97F4A7C15L;
        for (int i = Math.max(0, n - 3); i < n; i++) {
            h = mix(h + history.get(i) + 1);
        }
        float[] logits = new float[vocab];
        java.util.Arrays.fill(logits, active, vocab, -1e4f);
        for (int j = 0; j < active; j++) {
            long v = mix(h ^ (j * 0xC2B2AE3D27D4EB4FL));
            logits[j] = scale * ((v >>> 11) * 0x1.0p-53f);
        }
        logits[1] += eosBias;
        logits[0] = -1e4f; // never generate BOS
        return logits;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public String name() {
        return "fake-" + salt;
    }
}
