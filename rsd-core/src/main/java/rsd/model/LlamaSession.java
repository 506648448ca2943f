package rsd.model;


import java.util.Arrays;
import rsd.error.RsdException;
import rsd.tensor.Kernels;
import rsd.tensor.Tensor;
import rsd.tensor.ThreadPool;

/**
 * KV cache and forward passes of one sequence on a {@link LlamaModel}. The cache is preallocated float32,
 * one K and one V array per layer; node i of a forward is stored in slot startPos + i, so truncating is
 * just lowering {@link #length()}. V is position-major (a weighted sum of rows); K is stored transposed,
 * component-major within blocks of {@link #KV_BLOCK} positions, so that the scores of 16 positions come out
 * of one vector FMA per component instead of one horizontal sum per position. Activations live in buffers for {@link #MAX_BATCH} rows;
 * longer inputs go through the same batched path in chunks. Not thread-safe.
 */
public final class LlamaSession implements Session {
    /** Rows processed per batched forward (longer inputs are chunked). */
    public static final int MAX_BATCH = 32;

    private final LlamaModel model;
    private final LlamaConfig c;
    private final ThreadPool pool;
    /**
     * Keys are stored in blocks of this many positions, each block component-major (all positions of
     * component 0, then of component 1, ...): attention scores read one head's block as one contiguous
     * run (16 KB for a 64-dim head). A plain component-major layout strides by the capacity between
     * components; with a capacity of 1024 that is 4 KB, and every component maps to the same cache sets
     * (measured: forwards 12-25 % faster at position 978 of the embedded model, docs/engine.md).
     */
    static final int KV_BLOCK = 64;

    private final int capacity;
    private final float[][] keys;
    private final float[][] values;
    private int length;

    private static int ceilBlocks(int slots) {
        return (slots + KV_BLOCK - 1) / KV_BLOCK;
    }

    /** Index of component e (0..kvDim-1) of the key at slot. */
    private int keyIndex(int e, int slot) {
        return (slot / KV_BLOCK) * (c.kvDim() * KV_BLOCK) + e * KV_BLOCK + slot % KV_BLOCK;
    }

    // activations, MAX_BATCH rows each
    private final float[][] x;
    private final float[][] xb;
    private final float[][] q;
    private final float[][] k;
    private final float[][] v;
    private final float[][] att;
    private final float[][] tmp;
    private final float[][] gate;
    private final float[][] up;
    private final float[][] cos;
    private final float[][] sin;
    // per worker thread
    private final float[][] scratch;
    private final float[][][] scores; // per worker: the scores of the two queries of an attention pair

    private final MatmulTask matmul = new MatmulTask();
    private final AttentionTask attention = new AttentionTask();

    // the tree of the last forwardTree, for keepPath
    private int[] treeParents;
    private int treeStart = -1;

    LlamaSession(LlamaModel model, int capacity) {
        this.model = model;
        this.c = model.config();
        this.pool = model.pool;
        this.capacity = capacity;
        keys = new float[c.layers()][Math.toIntExact(keyFloats(c, capacity))];
        values = new float[c.layers()][Math.toIntExact((long) capacity * c.kvDim())];
        x = new float[MAX_BATCH][c.dim()];
        xb = new float[MAX_BATCH][c.dim()];
        q = new float[MAX_BATCH][c.qDim()];
        k = new float[MAX_BATCH][c.kvDim()];
        v = new float[MAX_BATCH][c.kvDim()];
        att = new float[MAX_BATCH][c.qDim()];
        tmp = new float[MAX_BATCH][c.dim()];
        gate = new float[MAX_BATCH][c.ffnDim()];
        up = new float[MAX_BATCH][c.ffnDim()];
        cos = new float[MAX_BATCH][c.headDim() / 2];
        sin = new float[MAX_BATCH][c.headDim() / 2];
        int widest = Math.max(Math.max(c.dim(), c.qDim()), c.ffnDim());
        scratch = new float[pool.threads()][Tensor.scratchFloats(widest)];
        scores = new float[pool.threads()][2][capacity];
    }

    /** The longest float array the JVM allocates (a few header words below Integer.MAX_VALUE). */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** Floats of one layer's key cache: whole blocks of KV_BLOCK positions. */
    private static long keyFloats(LlamaConfig c, long capacity) {
        return (capacity + KV_BLOCK - 1) / KV_BLOCK * KV_BLOCK * c.kvDim();
    }

    /** The most positions whose one-layer key cache fits a Java array. */
    static int largestCapacity(LlamaConfig c) {
        return (int) (MAX_ARRAY / c.kvDim() / KV_BLOCK * KV_BLOCK);
    }

    /**
     * Heap bytes the constructor allocates for {@code capacity} positions on {@code threads} workers: the
     * KV cache, the activation rows and the per-worker rows. Computed before allocating, so that a file
     * declaring a huge context is refused with a message rather than an OutOfMemoryError. Long.MAX_VALUE
     * when it overflows; only meaningful for capacities up to {@link #largestCapacity}.
     */
    static long heapBytes(LlamaConfig c, int capacity, int threads) {
        try {
            long cache = Math.multiplyExact((long) c.layers(), keyFloats(c, capacity) + (long) capacity * c.kvDim());
            long rows = (long) MAX_BATCH * (3L * c.dim() + 2L * c.qDim() + 2L * c.kvDim() + 2L * c.ffnDim() + c.headDim());
            long widest = Math.max(Math.max(c.dim(), c.qDim()), c.ffnDim());
            long perWorker = Math.multiplyExact((long) threads, Tensor.scratchFloats((int) widest) + 2L * capacity);
            return Math.multiplyExact(Float.BYTES, Math.addExact(Math.addExact(cache, rows), perWorker));
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public int capacity() {
        return capacity;
    }

    @Override
    public int length() {
        return length;
    }

    @Override
    public float[][] forward(int[] tokens, int startPos) {
        return run(tokens, null, startPos, true);
    }

    @Override
    public float[] prefill(int[] tokens, int startPos) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("prefill needs at least one token");
        }
        return run(tokens, null, startPos, false)[0];
    }

    @Override
    public float[][] forwardTree(int[] tokens, int[] parents, int startPos) {
        if (parents.length != tokens.length) {
            throw new IllegalArgumentException("tokens and parents differ in length: " + tokens.length + " vs " + parents.length);
        }
        for (int i = 0; i < parents.length; i++) {
            if (parents[i] < -1 || parents[i] >= i) {
                throw new IllegalArgumentException("parent of node " + i + " must be -1 or an earlier node, got " + parents[i]);
            }
        }
        float[][] logits = run(tokens, parents, startPos, true);
        treeParents = parents.clone();
        treeStart = startPos;
        return logits;
    }

    @Override
    public void keepPath(int startPos, int[] path) {
        if (treeParents == null || treeStart != startPos) {
            throw new IllegalStateException("keepPath(" + startPos + ") without a matching forwardTree");
        }
        for (int j = 0; j < path.length; j++) {
            int node = path[j];
            int expectedParent = j == 0 ? -1 : path[j - 1];
            if (node < 0 || node >= treeParents.length || treeParents[node] != expectedParent) {
                throw new IllegalArgumentException("path " + Arrays.toString(path) + " is not a root-to-leaf chain of the last tree");
            }
        }
        int kvDim = c.kvDim();
        for (int layer = 0; layer < c.layers(); layer++) {
            for (int j = 0; j < path.length; j++) {
                // path[j] >= j because parents precede children, so copying forward never overwrites a source still needed
                if (path[j] != j) {
                    for (int e = 0; e < kvDim; e++) {
                        keys[layer][keyIndex(e, startPos + j)] = keys[layer][keyIndex(e, startPos + path[j])];
                    }
                    System.arraycopy(values[layer], (startPos + path[j]) * kvDim, values[layer], (startPos + j) * kvDim, kvDim);
                }
            }
        }
        length = startPos + path.length;
        treeParents = null;
        treeStart = -1;
    }

    @Override
    public void truncate(int n) {
        if (n < 0 || n > length) {
            throw new IllegalArgumentException("truncate(" + n + ") outside 0.." + length);
        }
        length = n;
        treeParents = null;
    }

    /**
     * Runs nodes tokens[0..n) at startPos; parents == null means a plain sequence. Returns the logits of
     * every node, or (allLogits false) a one-element array with the last node's.
     */
    private float[][] run(int[] tokens, int[] parents, int startPos, boolean allLogits) {
        if (startPos < 0 || startPos > length) {
            throw new IllegalArgumentException("startPos " + startPos + " outside 0.." + length);
        }
        int n = tokens.length;
        if ((long) startPos + n > capacity) {
            throw new RsdException(model.name() + ": " + (startPos + n) + " positions do not fit in the context of " + capacity + " positions");
        }
        for (int t : tokens) {
            if (t < 0 || t >= c.vocabSize()) {
                throw new RsdException(model.name() + ": token id " + t + " is outside the vocabulary (0.." + (c.vocabSize() - 1) + ")");
            }
        }
        length = startPos;
        treeParents = null;
        int[] depth = new int[n];
        int[][] ancestors = null; // for trees: the nodes each node attends to within this call, ascending
        if (parents != null) {
            ancestors = new int[n][];
            for (int i = 0; i < n; i++) {
                int p = parents[i];
                depth[i] = p < 0 ? 0 : depth[p] + 1;
                int[] up = p < 0 ? new int[0] : ancestors[p];
                ancestors[i] = Arrays.copyOf(up, up.length + 1);
                ancestors[i][up.length] = i;
            }
        } else {
            for (int i = 0; i < n; i++) {
                depth[i] = i;
            }
        }
        float[][] logits = new float[allLogits ? n : 1][];
        for (int c0 = 0; c0 < n; c0 += MAX_BATCH) {
            int c1 = Math.min(n, c0 + MAX_BATCH);
            forwardChunk(tokens, c0, c1, depth, ancestors, startPos);
            length = startPos + c1;
            if (allLogits) {
                for (int i = c0; i < c1; i++) {
                    logits[i] = new float[c.vocabSize()];
                }
                float[][] rows = Arrays.copyOfRange(logits, c0, c1);
                classify(xb, c1 - c0, rows);
            } else if (c1 == n) {
                logits[0] = new float[c.vocabSize()];
                classify(new float[][] {xb[c1 - c0 - 1]}, 1, logits);
            }
        }
        return logits;
    }

    /** Final norm is already in xb (see forwardChunk); out[t] = output . xb[t]. */
    private void classify(float[][] in, int T, float[][] out) {
        matmul.set(in, T, c.dim());
        matmul.add(model.output, c.vocabSize(), out);
        pool.run(c.vocabSize(), 64, matmul);
    }

    private void forwardChunk(int[] tokens, int c0, int c1, int[] depth, int[][] ancestors, int startPos) {
        int T = c1 - c0;
        int dim = c.dim(), kvDim = c.kvDim();
        for (int t = 0; t < T; t++) {
            model.tokenEmbedding.dequantize((long) tokens[c0 + t] * dim, x[t], 0, dim);
            ropeAngles(startPos + depth[c0 + t], cos[t], sin[t]);
        }
        for (int layer = 0; layer < c.layers(); layer++) {
            LlamaModel.Layer w = model.layers[layer];
            for (int t = 0; t < T; t++) {
                rmsNorm(x[t], w.attnNorm, xb[t]);
            }
            matmul.set(xb, T, dim);
            matmul.add(w.wq, c.qDim(), q);
            matmul.add(w.wk, kvDim, k);
            matmul.add(w.wv, kvDim, v);
            pool.run(matmul.totalRows(), 16, matmul);
            for (int t = 0; t < T; t++) {
                rope(q[t], c.heads(), cos[t], sin[t]);
                rope(k[t], c.kvHeads(), cos[t], sin[t]);
                int slot = startPos + c0 + t;
                for (int e = 0; e < kvDim; e++) {
                    keys[layer][keyIndex(e, slot)] = k[t][e];
                }
                System.arraycopy(v[t], 0, values[layer], slot * kvDim, kvDim);
            }
            attention.set(layer, c0, T, startPos, ancestors);
            pool.run(attention.pairs(), 1, attention);
            matmul.set(att, T, c.qDim());
            matmul.add(w.wo, dim, tmp);
            pool.run(dim, 16, matmul);
            for (int t = 0; t < T; t++) {
                add(x[t], tmp[t]);
                rmsNorm(x[t], w.ffnNorm, xb[t]);
            }
            matmul.set(xb, T, dim);
            matmul.add(w.gate, c.ffnDim(), gate);
            matmul.add(w.up, c.ffnDim(), up);
            pool.run(matmul.totalRows(), 16, matmul);
            for (int t = 0; t < T; t++) {
                Kernels.swiglu(gate[t], up[t], c.ffnDim());
            }
            matmul.set(gate, T, c.ffnDim());
            matmul.add(w.down, dim, tmp);
            pool.run(dim, 16, matmul);
            for (int t = 0; t < T; t++) {
                add(x[t], tmp[t]);
            }
        }
        for (int t = 0; t < T; t++) {
            rmsNorm(x[t], model.outputNorm, xb[t]);
        }
    }

    /** cos/sin of position * theta_i, theta_i = base^(-2i/headDim), divided by the Llama 3.1 factor when present. */
    private void ropeAngles(int position, float[] cosOut, float[] sinOut) {
        int half = cosOut.length;
        for (int i = 0; i < half; i++) {
            double freq = Math.pow(c.ropeTheta(), -2.0 * i / c.headDim());
            if (model.ropeFreqFactors != null) {
                freq /= model.ropeFreqFactors[i];
            }
            double angle = position * freq;
            cosOut[i] = (float) Math.cos(angle);
            sinOut[i] = (float) Math.sin(angle);
        }
    }

    /** Rotates adjacent pairs (x[2i], x[2i+1]) of every head, as llama.cpp does for llama GGUF files. */
    private void rope(float[] vec, int heads, float[] cosT, float[] sinT) {
        int hd = c.headDim();
        for (int h = 0; h < heads; h++) {
            int base = h * hd;
            for (int i = 0; i < hd / 2; i++) {
                float a = vec[base + 2 * i], b = vec[base + 2 * i + 1];
                vec[base + 2 * i] = a * cosT[i] - b * sinT[i];
                vec[base + 2 * i + 1] = a * sinT[i] + b * cosT[i];
            }
        }
    }

    private void rmsNorm(float[] in, float[] weight, float[] out) {
        float ss = Kernels.dot(in, 0, in, 0, in.length);
        float scale = (float) (1.0 / Math.sqrt(ss / in.length + c.rmsEps()));
        for (int i = 0; i < in.length; i++) {
            out[i] = in[i] * scale * weight[i];
        }
    }

    private static void add(float[] acc, float[] delta) {
        for (int i = 0; i < acc.length; i++) {
            acc[i] += delta[i];
        }
    }

    /** Up to three matrices applied to the same activations in one parallel loop over their stacked rows. */
    private final class MatmulTask implements ThreadPool.Body {
        private final Tensor[] weights = new Tensor[3];
        private final float[][][] outs = new float[3][][];
        private final int[] ends = new int[3];
        private int parts;
        private float[][] in;
        private int T;
        private int cols;

        void set(float[][] in, int T, int cols) {
            this.in = in;
            this.T = T;
            this.cols = cols;
            parts = 0;
        }

        void add(Tensor w, int rows, float[][] out) {
            weights[parts] = w;
            outs[parts] = out;
            ends[parts] = (parts == 0 ? 0 : ends[parts - 1]) + rows;
            parts++;
        }

        int totalRows() {
            return ends[parts - 1];
        }

        @Override
        public void run(int from, int to, int worker) {
            int start = 0;
            for (int p = 0; p < parts; p++) {
                int end = ends[p];
                int a = Math.max(from, start), b = Math.min(to, end);
                if (a < b) {
                    weights[p].matmul(in, T, cols, outs[p], 0, a - start, b - start, scratch[worker]);
                }
                start = end;
            }
        }
    }

    /**
     * Attention, one index per (KV head, pair of queries): the queries are the (node, head) pairs whose
     * heads share that KV head, node-major. Every node of this call sees the same cached prefix (the slots
     * before the chunk for a plain sequence, before startPos for a tree), so a pair's scores over it come
     * from one pass over K and its weighted sum from one pass over V; each query then adds its own part:
     * the earlier nodes of its chunk, or its tree ancestors.
     */
    private final class AttentionTask implements ThreadPool.Body {
        private int layer;
        private int c0;
        private int T;
        private int startPos;
        private int[][] ancestors;

        void set(int layer, int c0, int T, int startPos, int[][] ancestors) {
            this.layer = layer;
            this.c0 = c0;
            this.T = T;
            this.startPos = startPos;
            this.ancestors = ancestors;
        }

        private int pairsPerKvHead() {
            return (T * (c.heads() / c.kvHeads()) + 1) / 2;
        }

        int pairs() {
            return c.kvHeads() * pairsPerKvHead();
        }

        @Override
        public void run(int from, int to, int worker) {
            int perKvHead = T * (c.heads() / c.kvHeads());
            int pairs = pairsPerKvHead();
            float[][] s = scores[worker];
            for (int i = from; i < to; i++) {
                int kvHead = i / pairs;
                int first = (i % pairs) * 2;
                attend(kvHead, first, first + 1 < perKvHead, s[0], s[1]);
            }
        }

        /** Query {@code first} of one KV head, and {@code first + 1} when {@code two}; query k is node k / group, head kvHead * group + k % group. */
        private void attend(int kvHead, int first, boolean two, float[] s0, float[] s1) {
            int hd = c.headDim(), kvDim = c.kvDim();
            int group = c.heads() / c.kvHeads();
            int kvOff = kvHead * hd;
            float[] kc = keys[layer], vc = values[layer];
            int t0 = first / group, t1 = (first + 1) / group;
            int off0 = (kvHead * group + first % group) * hd, off1 = (kvHead * group + (first + 1) % group) * hd;
            int shared = ancestors == null ? startPos + c0 : startPos;
            if (two) {
                for (int from = 0; from < shared; from += KV_BLOCK) {
                    Kernels.transposedDots2(q[t0], off0, q[t1], off1, hd, kc, keyIndex(kvOff, from), KV_BLOCK,
                            Math.min(KV_BLOCK, shared - from), s0, s1, from);
                }
            } else {
                scores(q[t0], off0, kvOff, 0, shared, s0);
            }
            float inv0 = ownScoresAndSoftmax(t0, off0, kvOff, shared, s0);
            if (two) {
                float inv1 = ownScoresAndSoftmax(t1, off1, kvOff, shared, s1);
                Kernels.weightedRows2(s0, att[t0], off0, s1, att[t1], off1, shared, vc, kvOff, kvDim, hd);
                ownRows(t1, off1, kvOff, shared, s1, inv1);
            } else {
                Kernels.weightedRows(s0, shared, vc, kvOff, kvDim, att[t0], off0, hd);
            }
            ownRows(t0, off0, kvOff, shared, s0, inv0);
        }

        /** s[j] = q . K[j] for slots lo..hi-1, one key block (component-major within) at a time. */
        private void scores(float[] qt, int qOff, int kvOff, int lo, int hi, float[] s) {
            while (lo < hi) {
                int end = Math.min(hi, (lo / KV_BLOCK + 1) * KV_BLOCK);
                Kernels.transposedDots(qt, qOff, c.headDim(), keys[layer], keyIndex(kvOff, lo), KV_BLOCK, end - lo, s, lo);
                lo = end;
            }
        }

        /** Slots node t attends to: the shared prefix, then its chunk's earlier nodes and itself, or its tree ancestors. */
        private int count(int t) {
            int node = c0 + t;
            return ancestors == null ? startPos + node + 1 : startPos + ancestors[node].length;
        }

        private int slot(int t, int j) {
            return ancestors == null ? j : startPos + ancestors[c0 + t][j - startPos];
        }

        /** Scores of the node's own slots after the shared ones, then softmax over all; returns 1 / sum. */
        private float ownScoresAndSoftmax(int t, int qOff, int kvOff, int shared, float[] s) {
            int hd = c.headDim();
            float[] qt = q[t], kc = keys[layer];
            int count = count(t);
            if (ancestors == null) {
                scores(qt, qOff, kvOff, shared, count, s);
            } else {
                for (int j = shared; j < count; j++) {
                    int slot = slot(t, j);
                    float dot = 0;
                    for (int e = 0; e < hd; e++) {
                        dot = Math.fma(kc[keyIndex(kvOff + e, slot)], qt[qOff + e], dot);
                    }
                    s[j] = dot;
                }
            }
            float scale = (float) (1.0 / Math.sqrt(hd));
            float max = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < count; j++) {
                s[j] *= scale;
                max = Math.max(max, s[j]);
            }
            return 1f / Kernels.expMinusMaxInPlace(s, count, max);
        }

        /**
         * Adds the node's own V rows (after the shared ones) to its output, continuing the FMA chain of the
         * shared rows with unnormalized weights, then normalizes: each output element is one chain over
         * all its slots in order, wherever the shared part ended, so a token's attention does not depend
         * on how many tokens shared its forward.
         */
        private void ownRows(int t, int qOff, int kvOff, int shared, float[] s, float inv) {
            int kvDim = c.kvDim();
            for (int j = shared, count = count(t); j < count; j++) {
                Kernels.axpy(s[j], values[layer], slot(t, j) * kvDim + kvOff, att[t], qOff, c.headDim());
            }
            Kernels.scale(att[t], qOff, c.headDim(), inv);
        }
    }
}
