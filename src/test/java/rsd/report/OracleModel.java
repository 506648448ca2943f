package rsd.report;

import java.util.ArrayList;
import java.util.List;
import rsd.model.LanguageModel;
import rsd.model.Session;

/**
 * A model that knows its lines: after any prefix of {@code script} (prompt then completion token ids) its
 * greedy choice is the next script token, and end-of-text once the script is done. It stands in for a
 * trained model so that the real decode loop and the real rules produce a realistic trace: the rules
 * guess, the "model" accepts exactly the guesses that match the text.
 */
final class OracleModel implements LanguageModel {
    private final int vocab;
    private final List<int[]> scripts;
    private final int endOfText;
    private final long baseNanos;
    private final long perTokenNanos;

    OracleModel(int vocab, int[] script, int endOfText) {
        this(vocab, List.of(script), endOfText, 0, 0);
    }

    /**
     * Several scripts (one per benchmark problem; the history's prefix picks one) and a simulated forward
     * cost of {@code baseNanos + perTokenNanos * T} for T tokens, so timings follow a chosen cost(T) curve.
     */
    OracleModel(int vocab, List<int[]> scripts, int endOfText, long baseNanos, long perTokenNanos) {
        this.vocab = vocab;
        this.scripts = scripts.stream().map(int[]::clone).toList();
        this.endOfText = endOfText;
        this.baseNanos = baseNanos;
        this.perTokenNanos = perTokenNanos;
    }

    /** One-hot logits on the next script token when {@code history} follows a script, else on end-of-text. */
    float[] logitsAfter(List<Integer> history) {
        int n = history.size();
        float[] logits = new float[vocab];
        int next = endOfText;
        for (int[] script : scripts) {
            boolean onScript = n <= script.length;
            for (int i = 0; onScript && i < n; i++) {
                onScript = history.get(i) == script[i];
            }
            if (onScript) {
                next = n < script.length ? script[n] : endOfText;
                break;
            }
        }
        logits[next] = 20f;
        return logits;
    }

    private void spend(int tokens) {
        long nanos = baseNanos + perTokenNanos * tokens;
        if (nanos > 0) {
            long end = System.nanoTime() + nanos;
            try {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            while (System.nanoTime() < end) {
                Thread.onSpinWait();
            }
        }
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int contextLength() {
        return scripts.stream().mapToInt(s -> s.length).max().orElse(0) + 512;
    }

    @Override
    public String name() {
        return "oracle";
    }

    @Override
    public Session newSession(int capacity) {
        return new OracleSession(capacity);
    }

    @Override
    public void close() {
    }

    private final class OracleSession implements Session {
        private final int capacity;
        private final List<Integer> cache = new ArrayList<>();
        private int treeStart = -1;

        OracleSession(int capacity) {
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
            spend(tokens.length);
            cache.subList(startPos, cache.size()).clear();
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                cache.add(tokens[i]);
                out[i] = logitsAfter(cache);
            }
            return out;
        }

        @Override
        public float[] prefill(int[] tokens, int startPos) {
            float[][] all = forward(tokens, startPos);
            return all.length == 0 ? null : all[all.length - 1];
        }

        @Override
        public float[][] forwardTree(int[] tokens, int[] parents, int startPos) {
            spend(tokens.length);
            cache.subList(startPos, cache.size()).clear();
            List<Integer> prefix = List.copyOf(cache);
            float[][] out = new float[tokens.length][];
            for (int i = 0; i < tokens.length; i++) {
                List<Integer> chain = new ArrayList<>();
                for (int k = i; k >= 0; k = parents[k]) {
                    chain.addFirst(tokens[k]);
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
                throw new IllegalStateException("keepPath(" + startPos + ") without forwardTree there");
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
            cache.subList(n, cache.size()).clear();
            treeStart = -1;
        }
    }
}
