package rsd.model;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import rsd.gguf.GgufFile;
import rsd.gguf.GgufTensorInfo;
import rsd.tensor.ReferenceDequant;

/**
 * The Llama forward pass written as plainly as possible for checking the engine: weights decoded by the
 * test-side decoder, double accumulation, no SIMD, no threads, no KV cache (every call recomputes the
 * whole sequence).
 */
final class ReferenceLlama {
    final int dim, layers, heads, kvHeads, hd, ffn, vocab;
    final double theta, eps;
    final double[][] embd, output;
    final double[] outNorm, ropeFreqs;
    final double[][][] wq, wk, wv, wo, gate, up, down;
    final double[][] attnNorm, ffnNorm;

    ReferenceLlama(Path file) {
        try (GgufFile g = GgufFile.open(file)) {
            dim = (int) g.getLong("llama.embedding_length", 0);
            layers = (int) g.getLong("llama.block_count", 0);
            heads = (int) g.getLong("llama.attention.head_count", 0);
            kvHeads = (int) g.getLong("llama.attention.head_count_kv", heads);
            ffn = (int) g.getLong("llama.feed_forward_length", 0);
            hd = dim / heads;
            theta = g.getDouble("llama.rope.freq_base", 10000);
            eps = g.getDouble("llama.attention.layer_norm_rms_epsilon", 1e-5);
            embd = matrix(g, "token_embd.weight");
            vocab = embd.length;
            output = g.tensor("output.weight") == null ? embd : matrix(g, "output.weight");
            outNorm = vector(g, "output_norm.weight");
            ropeFreqs = g.tensor("rope_freqs.weight") == null ? null : vector(g, "rope_freqs.weight");
            wq = new double[layers][][];
            wk = new double[layers][][];
            wv = new double[layers][][];
            wo = new double[layers][][];
            gate = new double[layers][][];
            up = new double[layers][][];
            down = new double[layers][][];
            attnNorm = new double[layers][];
            ffnNorm = new double[layers][];
            for (int l = 0; l < layers; l++) {
                String p = "blk." + l + ".";
                wq[l] = matrix(g, p + "attn_q.weight");
                wk[l] = matrix(g, p + "attn_k.weight");
                wv[l] = matrix(g, p + "attn_v.weight");
                wo[l] = matrix(g, p + "attn_output.weight");
                gate[l] = matrix(g, p + "ffn_gate.weight");
                up[l] = matrix(g, p + "ffn_up.weight");
                down[l] = matrix(g, p + "ffn_down.weight");
                attnNorm[l] = vector(g, p + "attn_norm.weight");
                ffnNorm[l] = vector(g, p + "ffn_norm.weight");
            }
        }
    }

    private static double[] decode(GgufFile g, String name) {
        GgufTensorInfo t = g.tensor(name);
        byte[] bytes = g.data(t).toArray(ValueLayout.JAVA_BYTE);
        return ReferenceDequant.dequantize(t.type(), bytes, (int) t.elementCount());
    }

    private static double[] vector(GgufFile g, String name) {
        return decode(g, name);
    }

    /** rows of dims[0] values */
    private static double[][] matrix(GgufFile g, String name) {
        GgufTensorInfo t = g.tensor(name);
        double[] flat = decode(g, name);
        int cols = (int) t.dim(0), rows = (int) t.dim(1);
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(flat, r * cols, m[r], 0, cols);
        }
        return m;
    }

    private static double[] matVec(double[][] w, double[] x) {
        double[] y = new double[w.length];
        for (int r = 0; r < w.length; r++) {
            double s = 0;
            for (int k = 0; k < x.length; k++) {
                s += w[r][k] * x[k];
            }
            y[r] = s;
        }
        return y;
    }

    private double[] rmsNorm(double[] x, double[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + eps);
        double[] y = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            y[i] = x[i] * scale * w[i];
        }
        return y;
    }

    private void rope(double[] v, int nHeads, int pos) {
        for (int h = 0; h < nHeads; h++) {
            for (int i = 0; i < hd / 2; i++) {
                double freq = Math.pow(theta, -2.0 * i / hd);
                if (ropeFreqs != null) {
                    freq /= ropeFreqs[i];
                }
                double c = Math.cos(pos * freq), s = Math.sin(pos * freq);
                int a = h * hd + 2 * i;
                double x0 = v[a], x1 = v[a + 1];
                v[a] = x0 * c - x1 * s;
                v[a + 1] = x0 * s + x1 * c;
            }
        }
    }

    /** Logits after each token of the sequence (causal attention over the whole sequence). */
    double[][] forward(int[] tokens) {
        int n = tokens.length;
        double[][] x = new double[n][];
        for (int i = 0; i < n; i++) {
            x[i] = embd[tokens[i]].clone();
        }
        for (int l = 0; l < layers; l++) {
            double[][] q = new double[n][], k = new double[n][], v = new double[n][];
            for (int i = 0; i < n; i++) {
                double[] h = rmsNorm(x[i], attnNorm[l]);
                q[i] = matVec(wq[l], h);
                k[i] = matVec(wk[l], h);
                v[i] = matVec(wv[l], h);
                rope(q[i], heads, i);
                rope(k[i], kvHeads, i);
            }
            for (int i = 0; i < n; i++) {
                double[] att = new double[heads * hd];
                for (int h = 0; h < heads; h++) {
                    int kvh = h / (heads / kvHeads);
                    double[] s = new double[i + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= i; j++) {
                        double d = 0;
                        for (int e = 0; e < hd; e++) {
                            d += q[i][h * hd + e] * k[j][kvh * hd + e];
                        }
                        s[j] = d / Math.sqrt(hd);
                        max = Math.max(max, s[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= i; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = 0; j <= i; j++) {
                        for (int e = 0; e < hd; e++) {
                            att[h * hd + e] += s[j] / sum * v[j][kvh * hd + e];
                        }
                    }
                }
                double[] o = matVec(wo[l], att);
                for (int e = 0; e < dim; e++) {
                    x[i][e] += o[e];
                }
            }
            for (int i = 0; i < n; i++) {
                double[] h = rmsNorm(x[i], ffnNorm[l]);
                double[] g = matVec(gate[l], h), u = matVec(up[l], h);
                for (int e = 0; e < ffn; e++) {
                    g[e] = g[e] / (1 + Math.exp(-g[e])) * u[e];
                }
                double[] o = matVec(down[l], g);
                for (int e = 0; e < dim; e++) {
                    x[i][e] += o[e];
                }
            }
        }
        double[][] logits = new double[n][];
        for (int i = 0; i < n; i++) {
            logits[i] = matVec(output, rmsNorm(x[i], outNorm));
        }
        return logits;
    }
}
