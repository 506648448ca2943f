package rsd.model;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongConsumer;

import rsd.gguf.GgmlType;
import rsd.gguf.GgufValueType;
import rsd.gguf.GgufWriter;
import rsd.tensor.Quantize;
import rsd.tokenizer.ByteUnicode;

/**
 * Writes Llama GGUF files with random weights: for benchmarks ({@code rsd random-model}) and for tests that
 * need a real model file. The file carries a small byte-level GPT-2-style vocabulary (the 256 byte tokens
 * in GPT-2's byte-to-unicode form, {@code <|begin_of_text|>}, {@code <|end_of_text|>}, then
 * {@code <|reserved_N|>} control tokens up to the vocabulary size; no merges), so a tokenizer can be
 * built from it and text generated, however meaningless.
 */
public final class RandomLlama {
    private RandomLlama() {
    }

    /** Token id of {@code <|begin_of_text|>} in the written vocabulary. */
    public static final int BOS = 256;
    /** Token id of {@code <|end_of_text|>}. */
    public static final int EOS = 257;

    /**
     * What to write.
     *
     * @param matrixType    type of the block matrices (attention and feed-forward)
     * @param embeddingType type of token_embd (and output when not tied)
     * @param tiedEmbeddings no output.weight: the output projection reuses token_embd (Llama 3.2 style)
     * @param ropeFreqs     write a Llama-3.1-style rope_freqs.weight with random factors in [1, 8]
     * @param mediumMix     llama.cpp's "_M" per-tensor mix on top of {@code matrixType} (see {@link #tensorType})
     */
    public record Spec(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocabSize, int contextLength,
            float ropeTheta, GgmlType matrixType, GgmlType embeddingType, boolean tiedEmbeddings, boolean ropeFreqs, long seed,
            boolean mediumMix) {

        /** A model small enough for unit tests: dim 64, 2 layers, 4 heads, 2 KV heads, vocabulary 384. */
        public static Spec tiny() {
            return new Spec(64, 2, 4, 2, 128, 384, 2048, 500000f, GgmlType.F32, GgmlType.F32, false, false, 1, false);
        }

        /** Llama 3.2 1B's shape: dim 2048, 16 layers, 32 heads, 8 KV heads, FFN 8192, vocabulary 128,256, tied embeddings. */
        public static Spec llama32_1b() {
            return new Spec(2048, 16, 32, 8, 8192, 128256, 131072, 500000f, GgmlType.Q8_0, GgmlType.Q8_0, true, true, 1, false);
        }

        /** Llama 3.1 8B's shape: dim 4096, 32 layers, 32 heads, 8 KV heads, FFN 14336, vocabulary 128,256, separate output matrix. */
        public static Spec llama31_8b() {
            return new Spec(4096, 32, 32, 8, 14336, 128256, 131072, 500000f, GgmlType.Q8_0, GgmlType.Q8_0, false, true, 1, false);
        }

        /**
         * llama.cpp's Q4_K_M (base Q4_K) or Q5_K_M (base Q5_K) mix: the output matrix (token_embd when the
         * embeddings are tied, since it then serves as the output) in Q6_K, and attn_v and ffn_down in Q6_K in
         * the layers {@link #moreBits} picks; everything else, an untied token_embd included, in the base type.
         */
        public Spec withMediumMix(GgmlType base) {
            if (base != GgmlType.Q4_K && base != GgmlType.Q5_K) {
                throw new IllegalArgumentException("the _M mix is defined for Q4_K and Q5_K, not " + base);
            }
            return new Spec(dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, ropeTheta, base, tiedEmbeddings ? GgmlType.Q6_K : base,
                    tiedEmbeddings, ropeFreqs, seed, true);
        }

        /**
         * The layers that get more bits in llama.cpp's _M mixes: the first and last eighth of the layers and
         * every third layer in between (for 16 layers: 0, 1, 4, 7, 10, 13, 14, 15).
         */
        static boolean moreBits(int layer, int layers) {
            return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
        }

        /** The type of block matrix {@code name} ("attn_q", "attn_v", "ffn_down", ...) in layer {@code layer}. */
        public GgmlType tensorType(String name, int layer) {
            if (mediumMix && (name.equals("attn_v") || name.equals("ffn_down")) && moreBits(layer, layers)) {
                return GgmlType.Q6_K;
            }
            return matrixType;
        }

        /** The type of output.weight (untied models). */
        public GgmlType outputType() {
            return mediumMix ? GgmlType.Q6_K : embeddingType;
        }

        public Spec withTypes(GgmlType matrix, GgmlType embedding) {
            return new Spec(dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, ropeTheta, matrix, embedding, tiedEmbeddings, ropeFreqs, seed, false);
        }

        public Spec withSeed(long s) {
            return new Spec(dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, ropeTheta, matrixType, embeddingType, tiedEmbeddings, ropeFreqs, s, mediumMix);
        }

        public Spec withTied(boolean tied) {
            return new Spec(dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, ropeTheta, matrixType, embeddingType, tied, ropeFreqs, seed, mediumMix);
        }

        public Spec withRopeFreqs(boolean r) {
            return new Spec(dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, ropeTheta, matrixType, embeddingType, tiedEmbeddings, r, seed, mediumMix);
        }

        public Spec withShape(int dim, int layers, int heads, int kvHeads, int ffnDim, int vocabSize) {
            return new Spec(dim, layers, heads, kvHeads, ffnDim, vocabSize, contextLength, ropeTheta, matrixType, embeddingType, tiedEmbeddings, ropeFreqs, seed, mediumMix);
        }

        public long parameterCount() {
            long hd = dim / heads;
            long perLayer = 2L * dim + (long) dim * heads * hd * 2 + (long) dim * kvHeads * hd * 2 + 3L * dim * ffnDim;
            return (long) vocabSize * dim * (tiedEmbeddings ? 1 : 2) + dim + layers * perLayer;
        }
    }

    /** Writes the model; {@code progress} receives the number of weights written so far (may be null). */
    public static void write(Path out, Spec spec, Map<String, Object> extraMetadata, LongConsumer progress) {
        if (spec.vocabSize() < 258) {
            throw new IllegalArgumentException("vocabulary must hold the 256 bytes and 2 specials: " + spec.vocabSize());
        }
        int hd = spec.dim() / spec.heads();
        SplittableRandom rnd = new SplittableRandom(spec.seed());
        try (GgufWriter w = GgufWriter.create(out)) {
            w.put("general.architecture", "llama");
            w.put("general.name", "random-llama");
            w.putUInt32("general.file_type", fileType(spec.matrixType(), spec.mediumMix()));
            w.putUInt32("llama.context_length", spec.contextLength());
            w.putUInt32("llama.embedding_length", spec.dim());
            w.putUInt32("llama.block_count", spec.layers());
            w.putUInt32("llama.feed_forward_length", spec.ffnDim());
            w.putUInt32("llama.attention.head_count", spec.heads());
            w.putUInt32("llama.attention.head_count_kv", spec.kvHeads());
            w.putUInt32("llama.rope.dimension_count", hd);
            w.putFloat32("llama.rope.freq_base", spec.ropeTheta());
            w.putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
            w.putUInt32("llama.vocab_size", spec.vocabSize());
            putTokenizer(w, spec.vocabSize());
            if (extraMetadata != null) {
                extraMetadata.forEach(w::put);
            }

            w.addTensor("token_embd.weight", spec.embeddingType(), spec.dim(), spec.vocabSize());
            if (spec.ropeFreqs()) {
                w.addTensor("rope_freqs.weight", GgmlType.F32, hd / 2);
            }
            for (int l = 0; l < spec.layers(); l++) {
                String p = "blk." + l + ".";
                w.addTensor(p + "attn_norm.weight", GgmlType.F32, spec.dim());
                w.addTensor(p + "attn_q.weight", spec.tensorType("attn_q", l), spec.dim(), spec.heads() * hd);
                w.addTensor(p + "attn_k.weight", spec.tensorType("attn_k", l), spec.dim(), spec.kvHeads() * hd);
                w.addTensor(p + "attn_v.weight", spec.tensorType("attn_v", l), spec.dim(), spec.kvHeads() * hd);
                w.addTensor(p + "attn_output.weight", spec.tensorType("attn_output", l), spec.heads() * hd, spec.dim());
                w.addTensor(p + "ffn_norm.weight", GgmlType.F32, spec.dim());
                w.addTensor(p + "ffn_gate.weight", spec.tensorType("ffn_gate", l), spec.dim(), spec.ffnDim());
                w.addTensor(p + "ffn_up.weight", spec.tensorType("ffn_up", l), spec.dim(), spec.ffnDim());
                w.addTensor(p + "ffn_down.weight", spec.tensorType("ffn_down", l), spec.ffnDim(), spec.dim());
            }
            w.addTensor("output_norm.weight", GgmlType.F32, spec.dim());
            if (!spec.tiedEmbeddings()) {
                w.addTensor("output.weight", spec.outputType(), spec.dim(), spec.vocabSize());
            }

            long[] written = {0};
            // Embedding rows of unit scale; matrices scaled by 1/sqrt(fan-in) so activations stay O(1) through the layers.
            writeMatrix(w, spec.embeddingType(), spec.vocabSize(), spec.dim(), 1.0, rnd, written, progress);
            if (spec.ropeFreqs()) {
                float[] f = new float[hd / 2];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) (1 + 7 * rnd.nextDouble());
                }
                w.writeTensorData(Quantize.quantize(GgmlType.F32, f, 0, f.length));
            }
            for (int l = 0; l < spec.layers(); l++) {
                writeNorm(w, spec.dim(), rnd);
                double s = 1 / Math.sqrt(spec.dim());
                writeMatrix(w, spec.tensorType("attn_q", l), spec.heads() * hd, spec.dim(), s, rnd, written, progress);
                writeMatrix(w, spec.tensorType("attn_k", l), spec.kvHeads() * hd, spec.dim(), s, rnd, written, progress);
                writeMatrix(w, spec.tensorType("attn_v", l), spec.kvHeads() * hd, spec.dim(), s, rnd, written, progress);
                writeMatrix(w, spec.tensorType("attn_output", l), spec.dim(), spec.heads() * hd, 1 / Math.sqrt(spec.heads() * hd), rnd, written, progress);
                writeNorm(w, spec.dim(), rnd);
                writeMatrix(w, spec.tensorType("ffn_gate", l), spec.ffnDim(), spec.dim(), s, rnd, written, progress);
                writeMatrix(w, spec.tensorType("ffn_up", l), spec.ffnDim(), spec.dim(), s, rnd, written, progress);
                writeMatrix(w, spec.tensorType("ffn_down", l), spec.dim(), spec.ffnDim(), 1 / Math.sqrt(spec.ffnDim()), rnd, written, progress);
            }
            writeNorm(w, spec.dim(), rnd);
            if (!spec.tiedEmbeddings()) {
                writeMatrix(w, spec.outputType(), spec.vocabSize(), spec.dim(), 1 / Math.sqrt(spec.dim()), rnd, written, progress);
            }
        }
    }

    /** llama.cpp's llama_ftype number for a file whose matrices are {@code type} (Q4_K and Q5_K: the _M mixes, _S without). */
    static int fileType(GgmlType type, boolean mediumMix) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q8_0 -> 7;
            case Q4_K -> mediumMix ? 15 : 14;
            case Q5_K -> mediumMix ? 17 : 16;
            case Q6_K -> 18;
            case BF16 -> 32;
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static void writeNorm(GgufWriter w, int n, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (0.5 + rnd.nextDouble());
        }
        w.writeTensorData(Quantize.quantize(GgmlType.F32, v, 0, n));
    }

    /** rows x cols uniform values of standard deviation {@code std}, written row by row. */
    private static void writeMatrix(GgufWriter w, GgmlType type, int rows, int cols, double std, SplittableRandom rnd, long[] written,
            LongConsumer progress) {
        float a = (float) (std * Math.sqrt(3));
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            if (Quantize.canQuantizeTo(type)) {
                for (int i = 0; i < cols; i++) {
                    row[i] = a * (float) (2 * rnd.nextDouble() - 1);
                }
                w.writeTensorData(Quantize.quantize(type, row, 0, cols));
            } else {
                w.writeTensorData(randomCodes(type, cols, a, rnd));
            }
            written[0] += cols;
            if (progress != null && (r & 255) == 255) {
                progress.accept(written[0]);
            }
        }
    }

    /** Random block codes for types without a quantizer (Q4_K, Q5_K, Q6_K): random nibbles/scales with scales sized to about +-a. */
    private static byte[] randomCodes(GgmlType type, int n, float a, SplittableRandom rnd) {
        byte[] b = new byte[(int) type.bytesFor(n)];
        rnd.nextBytes(b);
        for (int blk = 0; blk < n / type.blockSize; blk++) {
            int at = blk * type.blockBytes;
            switch (type) {
                case Q4_K -> {
                    // weight = d*sc*q - dmin*m with q < 16, sc, m < 64
                    putHalf(b, at, 2 * a / (15 * 63));
                    putHalf(b, at + 2, a / 63);
                }
                case Q5_K -> {
                    // weight = d*sc*q - dmin*m with q < 32, sc, m < 64
                    putHalf(b, at, 2 * a / (31 * 63));
                    putHalf(b, at + 2, a / 63);
                }
                case Q6_K -> putHalf(b, at + 208, a / (32 * 128)); // weight = d*sc*(q-32), |sc| <= 128
                default -> throw new IllegalArgumentException("cannot write random " + type);
            }
        }
        return b;
    }

    private static void putHalf(byte[] b, int at, float v) {
        short h = Float.floatToFloat16(v);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    private static void putTokenizer(GgufWriter w, int vocab) {
        List<String> tokens = new ArrayList<>(vocab);
        List<Integer> types = new ArrayList<>(vocab);
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteUnicode.charOf(b)));
            types.add(1); // normal
        }
        tokens.add("<|begin_of_text|>");
        tokens.add("<|end_of_text|>");
        types.add(3);
        types.add(3);
        for (int i = tokens.size(); i < vocab; i++) {
            tokens.add("<|reserved_" + (i - 258) + "|>");
            types.add(3); // control
        }
        w.put("tokenizer.ggml.model", "gpt2");
        w.put("tokenizer.ggml.pre", "llama-bpe");
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens);
        w.putArray("tokenizer.ggml.token_type", GgufValueType.INT32, types);
        w.putArray("tokenizer.ggml.merges", GgufValueType.STRING, List.of());
        w.putUInt32("tokenizer.ggml.bos_token_id", BOS);
        w.putUInt32("tokenizer.ggml.eos_token_id", EOS);
        w.put("tokenizer.ggml.add_bos_token", true);
    }
}
