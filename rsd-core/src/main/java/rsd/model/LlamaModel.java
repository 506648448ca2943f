package rsd.model;


import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import rsd.error.RsdException;
import rsd.gguf.GgufFile;
import rsd.gguf.GgufTensorInfo;
import rsd.tensor.Tensor;
import rsd.tensor.ThreadPool;

/**
 * A Llama-family model (Llama 2/3/3.1/3.2 shapes) loaded from a GGUF file. Weights stay in the memory
 * mapping and are decoded on the fly by the matmul kernels; only norms and RoPE factors are copied. The
 * model owns a persistent thread pool shared by its sessions (one forward at a time).
 */
public final class LlamaModel implements LanguageModel {
    /** Tensors of one transformer block. */
    static final class Layer {
        float[] attnNorm;
        float[] ffnNorm;
        Tensor wq;
        Tensor wk;
        Tensor wv;
        Tensor wo;
        Tensor gate;
        Tensor up;
        Tensor down;
    }

    private final GgufFile gguf;
    private final LlamaConfig config;
    private final int contextLength;
    final Tensor tokenEmbedding;
    final Layer[] layers;
    final float[] outputNorm;
    final Tensor output;
    /** Llama 3.1 RoPE frequency divisors (rope_freqs.weight), or null. */
    final float[] ropeFreqFactors;
    final ThreadPool pool;
    private final long weightsBytes;

    private LlamaModel(GgufFile g, int threads, int maxContext) {
        gguf = g;
        config = LlamaConfig.fromGguf(g);
        LlamaConfig c = config;
        contextLength = maxContext > 0 ? Math.min(maxContext, c.contextLength()) : c.contextLength();
        List<?> tokens = g.getList("tokenizer.ggml.tokens");
        if (tokens != null && tokens.size() > c.vocabSize()) {
            throw new RsdException(g.path() + ": the tokenizer has " + tokens.size() + " tokens but the model only " + c.vocabSize()
                    + " embedding rows (vocabulary mismatch)");
        }
        tokenEmbedding = matrix("token_embd.weight", c.dim(), c.vocabSize());
        layers = new Layer[c.layers()];
        for (int i = 0; i < layers.length; i++) {
            String p = "blk." + i + ".";
            Layer l = new Layer();
            l.attnNorm = vector(p + "attn_norm.weight", c.dim());
            l.wq = matrix(p + "attn_q.weight", c.dim(), c.qDim());
            l.wk = matrix(p + "attn_k.weight", c.dim(), c.kvDim());
            l.wv = matrix(p + "attn_v.weight", c.dim(), c.kvDim());
            l.wo = matrix(p + "attn_output.weight", c.qDim(), c.dim());
            l.ffnNorm = vector(p + "ffn_norm.weight", c.dim());
            l.gate = matrix(p + "ffn_gate.weight", c.dim(), c.ffnDim());
            l.up = matrix(p + "ffn_up.weight", c.dim(), c.ffnDim());
            l.down = matrix(p + "ffn_down.weight", c.ffnDim(), c.dim());
            layers[i] = l;
        }
        outputNorm = vector("output_norm.weight", c.dim());
        // Llama 3.2 1B/3B tie the output projection to the token embedding.
        output = g.tensor("output.weight") != null ? matrix("output.weight", c.dim(), c.vocabSize()) : tokenEmbedding;
        ropeFreqFactors = g.tensor("rope_freqs.weight") != null ? vector("rope_freqs.weight", c.headDim() / 2) : null;
        long bytes = 0;
        for (GgufTensorInfo t : g.tensors()) {
            bytes += t.byteSize();
        }
        weightsBytes = bytes;
        pool = new ThreadPool(threads > 0 ? threads : Runtime.getRuntime().availableProcessors());
    }

    /**
     * Loads a GGUF model. {@code threads <= 0}: all cores; {@code maxContext <= 0}: the model's own context
     * length, otherwise the smaller of the two. Bad files give an RsdException naming the file and problem.
     */
    public static LlamaModel load(Path gguf, int threads, int maxContext) {
        rsd.tensor.VectorApi.require();
        GgufFile g = GgufFile.open(gguf);
        try {
            return new LlamaModel(g, threads, maxContext);
        } catch (RuntimeException e) {
            g.close();
            throw e;
        }
    }

    private GgufTensorInfo info(String name, long... dims) {
        GgufTensorInfo t = gguf.tensor(name);
        if (t == null) {
            throw new RsdException(gguf.path() + ": missing tensor '" + name + "'");
        }
        if (!Arrays.equals(t.dims(), dims)) {
            throw new RsdException(gguf.path() + ": tensor '" + name + "' has shape " + Arrays.toString(t.dims()) + ", expected "
                    + Arrays.toString(dims));
        }
        return t;
    }

    private Tensor wrap(GgufTensorInfo t) {
        try {
            return Tensor.wrap(t.type(), gguf.data(t), t.elementCount());
        } catch (RsdException e) {
            throw new RsdException(gguf.path() + ": tensor '" + t.name() + "': " + e.getMessage());
        }
    }

    private Tensor matrix(String name, int cols, int rows) {
        return wrap(info(name, cols, rows));
    }

    private float[] vector(String name, int n) {
        return wrap(info(name, n)).toFloatArray();
    }

    /** The GGUF file (its metadata builds the tokenizer). Closed with the model. */
    public GgufFile gguf() {
        return gguf;
    }

    public LlamaConfig config() {
        return config;
    }

    public int threads() {
        return pool.threads();
    }

    /** Bytes of all tensors in the file. */
    public long weightsBytes() {
        return weightsBytes;
    }

    @Override
    public int vocabSize() {
        return config.vocabSize();
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public String name() {
        return gguf.path().getFileName().toString();
    }

    @Override
    public LlamaSession newSession(int capacity) {
        if (capacity <= 0 || capacity > contextLength) {
            throw new RsdException(name() + ": a session of " + capacity + " positions does not fit the context of " + contextLength + " positions");
        }
        requireMemory(1, capacity);
        return new LlamaSession(this, capacity);
    }

    /**
     * Checks, before anything is allocated, that {@code sessions} sessions of {@code capacity} positions
     * fit: each layer's cache in one Java array, and all of them in the heap the JVM has left. Otherwise
     * an RsdException says how much is needed, how much there is, and the context cap that would fit.
     */
    public void requireMemory(int sessions, int capacity) {
        if (capacity > LlamaSession.largestCapacity(config)) {
            throw new RsdException(String.format(Locale.ROOT,
                    "%s: a KV cache of %,d positions (%,d floats per position and layer) is larger than a Java array can hold;"
                            + " --ctx %d or less fits", name(), capacity, config.kvDim(), LlamaSession.largestCapacity(config)));
        }
        long need = bytesFor(sessions, capacity);
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > free - SLACK) {
            System.gc(); // what is free may only be waiting for a collection; ask once before refusing
            free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        }
        if (need > free - SLACK) {
            // The suggestion keeps an eighth of the heap spare: large arrays need contiguous regions.
            long usable = free - rt.maxMemory() / 8 - SLACK;
            int lo = 0, hi = capacity;
            while (lo < hi) {
                int mid = (int) (((long) lo + hi + 1) / 2);
                if (bytesFor(sessions, mid) <= usable) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            int fit = lo >= 1024 ? lo / 1024 * 1024 : lo;
            String what = sessions == 1 ? "a session" : sessions + " sessions";
            throw new RsdException(String.format(Locale.ROOT,
                    "%s: %s of %,d positions need%s %.1f GiB of memory for the KV cache, the JVM has %.1f GiB free of %.1f GiB (-Xmx); %s",
                    name(), what, capacity, sessions == 1 ? "s" : "", need / GIB, Math.max(0, free) / GIB, rt.maxMemory() / GIB,
                    fit >= 2 ? "--ctx " + fit + " or less would fit" : "give the JVM more memory"));
        }
    }

    private static final double GIB = 1L << 30;
    /** Heap kept free beyond a session's own arrays: the logits and buffers of a generation. */
    private static final long SLACK = 32L << 20;

    private long bytesFor(int sessions, int capacity) {
        long one = LlamaSession.heapBytes(config, capacity, pool.threads());
        return one > Long.MAX_VALUE / Math.max(1, sessions) ? Long.MAX_VALUE : one * sessions;
    }

    @Override
    public void close() {
        pool.close();
        gguf.close();
    }

    @Override
    public String toString() {
        return "LlamaModel[" + name() + ", " + config + "]";
    }
}
