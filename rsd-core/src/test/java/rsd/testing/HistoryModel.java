package rsd.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import rsd.model.LanguageModel;
import rsd.model.Session;

/**
 * A stand-in language model whose logits are a function of the token history alone. Its sessions
 * implement forward, tree forward, keepPath and truncate exactly as the Session contract says (a tree
 * node sees the cache and its own ancestors only), and check every argument, so the decode loop is tested
 * against the contract, not against a lenient fake. Subclasses say what the logits are.
 */
public abstract class HistoryModel implements LanguageModel {
    protected final int vocab;
    public int forwardCalls;
    public int treeCalls;
    public int prefillCalls;
    /** Positions computed by forward and prefill (not tree forwards). */
    public long positions;

    protected HistoryModel(int vocab) {
        this.vocab = vocab;
    }

    /** The next-token logits after {@code history} (the last element is the current token). */
    public abstract float[] logitsAfter(List<Integer> history);

    /** Called once per forward, prefill or tree forward of {@code tokens} tokens: a place to simulate its cost. */
    protected void spend(int tokens) {
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public Session newSession(int capacity) {
        return new HistorySession(capacity);
    }

    @Override
    public void close() {
    }

    private final class HistorySession implements Session {
        private final int capacity;
        private final List<Integer> cache = new ArrayList<>();
        private int treeStart = -1;

        HistorySession(int capacity) {
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
            spend(tokens.length);
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
            spend(tokens.length);
            float[][] all = run(tokens, startPos);
            return all.length == 0 ? null : all[all.length - 1];
        }

        @Override
        public float[][] forwardTree(int[] tokens, int[] parents, int startPos) {
            treeCalls++;
            spend(tokens.length);
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
