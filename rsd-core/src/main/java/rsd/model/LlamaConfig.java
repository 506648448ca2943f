package rsd.model;

import rsd.error.RsdException;
import rsd.gguf.GgufFile;
import rsd.gguf.GgufTensorInfo;

/**
 * Shape and hyper-parameters of a Llama-family model, from the {@code llama.*} GGUF keys.
 *
 * @param dim          embedding width
 * @param layers       number of transformer blocks
 * @param heads        query heads
 * @param kvHeads      key/value heads (grouped-query attention when fewer than heads)
 * @param headDim      width of one head
 * @param ffnDim       hidden width of the SwiGLU feed-forward
 * @param vocabSize    rows of the token embedding
 * @param contextLength the model's trained context
 * @param ropeTheta    RoPE base frequency
 * @param rmsEps       RMSNorm epsilon
 */
public record LlamaConfig(int dim, int layers, int heads, int kvHeads, int headDim, int ffnDim, int vocabSize,
        int contextLength, float ropeTheta, float rmsEps) {

    public LlamaConfig {
        if (dim <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0 || ffnDim <= 0 || vocabSize <= 0 || contextLength <= 0) {
            // (not "this": a compact constructor's fields are still all zero here)
            throw new IllegalArgumentException("non-positive size: dim " + dim + ", layers " + layers + ", heads " + heads + ", kv heads "
                    + kvHeads + ", head dim " + headDim + ", ffn " + ffnDim + ", vocab " + vocabSize + ", context " + contextLength);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("heads " + heads + " not a multiple of kv heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head dimension must be even: " + headDim);
        }
        // The query row and the KV-cache row of a position are int-sized: a product past 2^31 would wrap
        // to a small (or zero) size and the cache would be allocated short.
        if ((long) heads * headDim > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(heads + " heads of " + headDim + " floats make a query row of " + (long) heads * headDim
                    + " floats, more than a Java array holds");
        }
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Reads the config of a {@code general.architecture = llama} file; RsdException when something is missing or inconsistent. */
    public static LlamaConfig fromGguf(GgufFile g) {
        String arch = g.getString("general.architecture", null);
        if (arch == null) {
            throw new RsdException(g.path() + ": no general.architecture in the metadata (not a model file?)");
        }
        if (!arch.equals("llama")) {
            throw new RsdException(g.path() + ": unsupported architecture '" + arch + "' (rsd runs llama)");
        }
        int dim = g.getInt("llama.embedding_length");
        int heads = g.getInt("llama.attention.head_count");
        int kvHeads = g.getInt("llama.attention.head_count_kv", heads);
        if (dim <= 0 || heads <= 0 || kvHeads <= 0 || dim % heads != 0 || heads % kvHeads != 0) {
            throw new RsdException(g.path() + ": inconsistent attention shape (embedding " + dim + ", heads " + heads + ", kv heads " + kvHeads + ")");
        }
        int headDim = g.getInt("llama.attention.key_length", dim / heads);
        int ropeDim = g.getInt("llama.rope.dimension_count", headDim);
        if (ropeDim != headDim || headDim % 2 != 0) {
            throw new RsdException(g.path() + ": unsupported RoPE dimension " + ropeDim + " for head size " + headDim);
        }
        GgufTensorInfo embd = g.tensor("token_embd.weight");
        if (embd == null) {
            throw new RsdException(g.path() + ": missing tensor 'token_embd.weight'");
        }
        if (embd.rank() != 2 || embd.dim(0) != dim || embd.dim(1) > Integer.MAX_VALUE) {
            throw new RsdException(g.path() + ": tensor 'token_embd.weight' has shape " + java.util.Arrays.toString(embd.dims())
                    + ", expected [" + dim + ", vocab]");
        }
        int vocab = (int) embd.dim(1);
        int declared = g.getInt("llama.vocab_size", vocab);
        if (declared != vocab) {
            throw new RsdException(g.path() + ": llama.vocab_size " + declared + " does not match token_embd.weight's " + vocab + " rows");
        }
        int layers = g.getInt("llama.block_count");
        int ffn = g.getInt("llama.feed_forward_length");
        int ctx = g.getInt("llama.context_length", 4096);
        for (var size : java.util.Map.of("llama.block_count", layers, "llama.feed_forward_length", ffn, "llama.context_length", ctx,
                "llama.attention.key_length", headDim).entrySet()) {
            if (size.getValue() <= 0) {
                throw new RsdException(g.path() + ": metadata '" + size.getKey() + "' must be positive, got " + size.getValue());
            }
        }
        float theta = (float) g.getDouble("llama.rope.freq_base", 10000.0);
        float eps = (float) g.getDouble("llama.attention.layer_norm_rms_epsilon", 1e-5);
        try {
            return new LlamaConfig(dim, layers, heads, kvHeads, headDim, ffn, vocab, ctx, theta, eps);
        } catch (IllegalArgumentException e) {
            throw new RsdException(g.path() + ": invalid model shape: " + e.getMessage());
        }
    }
}
