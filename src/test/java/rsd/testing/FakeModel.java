package rsd.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rsd.model.LanguageModel;
import rsd.model.Session;

/**
 * A deterministic stand-in for a language model: the logits after a position are a hash of the last
 * three tokens up to it. Its sessions implement forward, tree forward, keepPath and truncate exactly as
 * the Session contract says (a tree node sees the cache and its own ancestors only), and check every
 * argument, so the decode loop is tested against the contract, not against a lenient fake.
 */
public final class FakeModel implements LanguageModel {
    private final int vocab;
    private final int active;
    private final int context;
    private final long salt;
    private final float scale;
    private final float eosBias;
    public int forwardCalls;
    public int treeCalls;
    public int prefillCalls;
    /** Positions computed by forward and prefill (not tree forwards). */
    public long positions;

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
        this.active = active;
        this.vocab = vocab;
        this.context = context;
        this.salt = salt;
        this.scale = scale;
        this.eosBias = eosBias;
    }

    /** The next-token logits after {@code history} (the last element is the current token). */
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
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return context;
    }

    @Override
    public String name() {
        return "fake-" + salt;
    }

    @Override
    public Session newSession(int capacity) {
        return new FakeSession(capacity);
    }

    @Override
    public void close() {
    }

    private final class FakeSession implements Session {
        private final int capacity;
        private final List<Integer> cache = new ArrayList<>();
        private int treeStart = -1;

        FakeSession(int capacity) {
            this.capacity = capacity;
        }

        @Override
        public int capacity() {
            return capacity;
        }

        @Override
        public int length() {
            return cache.size();
        }

        @Override
        public float[][] forward(int[] tokens, int startPos) {
            forwardCalls++;
            return run(tokens, startPos);
        }

        private float[][] run(int[] tokens, int startPos) {
            start(startPos, tokens.length);
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                check(tokens[i]);
                cache.add(tokens[i]);
                positions++;
                out[i] = logitsAfter(cache);
            }
            return out;
        }

        @Override
        public float[] prefill(int[] tokens, int startPos) {
            prefillCalls++;
            float[][] all = run(tokens, startPos);
            return all.length == 0 ? null : all[all.length - 1];
        }

        @Override
        public float[][] forwardTree(int[] tokens, int[] parents, int startPos) {
            treeCalls++;
            if (tokens.length != parents.length) {
                throw new IllegalArgumentException("tokens and parents differ in length");
            }
            start(startPos, tokens.length);
            List<Integer> prefix = List.copyOf(cache);
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                check(tokens[i]);
                if (parents[i] >= i || parents[i] < -1) {
                    throw new IllegalArgumentException("parent of node " + i + " must come before it: " + parents[i]);
                }
                List<Integer> chain = new ArrayList<>();
                for (int k = i; k >= 0; k = parents[k]) {
                    chain.add(0, tokens[k]);
                }
                List<Integer> seen = new ArrayList<>(prefix);
                seen.addAll(chain);
                out[i] = logitsAfter(seen);
            }
            for (int t : tokens) {
                cache.add(t);
            }
            treeStart = startPos;
            return out;
        }

        @Override
        public void keepPath(int startPos, int[] path) {
            if (startPos != treeStart) {
                throw new IllegalStateException("keepPath(" + startPos + ") without forwardTree at that position");
            }
            int[] kept = new int[path.length];
            for (int i = 0; i < path.length; i++) {
                kept[i] = cache.get(startPos + path[i]);
            }
            cache.subList(startPos, cache.size()).clear();
            for (int t : kept) {
                cache.add(t);
            }
            treeStart = -1;
        }

        @Override
        public void truncate(int n) {
            if (n < 0 || n > cache.size()) {
                throw new IllegalArgumentException("truncate(" + n + ") with " + cache.size() + " cached");
            }
            cache.subList(n, cache.size()).clear();
            treeStart = -1;
        }

        private void start(int startPos, int count) {
            if (startPos < 0 || startPos > cache.size()) {
                throw new IllegalArgumentException("startPos " + startPos + " with " + cache.size() + " cached");
            }
            if (startPos + count > capacity) {
                throw new IllegalArgumentException("positions up to " + (startPos + count) + " exceed capacity " + capacity);
            }
            cache.subList(startPos, cache.size()).clear();
        }

        private void check(int token) {
            if (token < 0 || token >= vocab) {
                throw new IllegalArgumentException("token " + token + " outside the vocabulary");
            }
        }

        /** The cached tokens, for tests. */
        @Override
        public String toString() {
            return Arrays.toString(cache.toArray());
        }
    }
}
