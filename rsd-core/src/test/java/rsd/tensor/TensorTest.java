package rsd.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

import rsd.gguf.GgmlType;

class TensorTest {
    static final GgmlType[] ENGINE_TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    /** Random valid stored bytes for any engine type (quantized types: random codes with small scales). */
    static byte[] randomBytes(GgmlType type, int n, Random rnd) {
        switch (type) {
            case F32, F16, BF16 -> {
                float[] x = new float[n];
                for (int i = 0; i < n; i++) {
                    x[i] = (float) rnd.nextGaussian();
                }
                return Quantize.quantize(type, x, 0, n);
            }
            default -> {
                byte[] b = new byte[(int) type.bytesFor(n)];
                rnd.nextBytes(b);
                for (int blk = 0; blk < n / type.blockSize; blk++) {
                    int at = blk * type.blockBytes;
                    // put sane f16 scales where each format keeps them
                    switch (type) {
                        case Q8_0, Q4_0 -> ReferenceDequant.putHalf(b, at, 0.01f + rnd.nextFloat() * 0.05f);
                        case Q4_K, Q5_K -> {
                            ReferenceDequant.putHalf(b, at, 0.001f + rnd.nextFloat() * 0.01f);
                            ReferenceDequant.putHalf(b, at + 2, 0.001f + rnd.nextFloat() * 0.01f);
                        }
                        case Q6_K -> ReferenceDequant.putHalf(b, at + 208, 0.0005f + rnd.nextFloat() * 0.002f);
                        default -> throw new AssertionError(type);
                    }
                }
                return b;
            }
        }
    }

    static Tensor tensor(GgmlType type, byte[] bytes, int n) {
        return Tensor.wrap(type, MemorySegment.ofArray(bytes), n);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void dequantizeGetAndDotMatchTheReference(GgmlType type) {
        Random rnd = new Random(type.ordinal());
        int n = 512;
        byte[] bytes = randomBytes(type, n, rnd);
        Tensor t = tensor(type, bytes, n);
        double[] ref = ReferenceDequant.dequantize(type, bytes, n);
        float[] deq = t.toFloatArray();
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian();
            assertThat((double) deq[i]).as("element %d", i).isCloseTo(ref[i], within(1e-6 * Math.max(1, Math.abs(ref[i]))));
            assertThat((double) t.get(i)).as("get %d", i).isCloseTo(ref[i], within(1e-6 * Math.max(1, Math.abs(ref[i]))));
        }
        // dot over the second half (offset start) against double accumulation
        double expected = 0, scale = 0;
        for (int i = 0; i < 256; i++) {
            expected += ref[256 + i] * x[i];
            scale += Math.abs(ref[256 + i] * x[i]);
        }
        assertThat((double) t.dot(256, x, 256)).isCloseTo(expected, within(1e-5 * scale + 1e-6));
        if (type.blockSize <= 32) {
            // an odd number of 32-element blocks exercises the kernels' single-block tail
            double e2 = 0, s2 = 0;
            for (int i = 0; i < 96; i++) {
                e2 += ref[32 + i] * x[i];
                s2 += Math.abs(ref[32 + i] * x[i]);
            }
            assertThat((double) t.dot(32, x, 96)).isCloseTo(e2, within(1e-5 * s2 + 1e-6));
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void matmulEqualsRowDotsForEveryBatchSize(GgmlType type) {
        Random rnd = new Random(42 + type.ordinal());
        int rows = 7, cols = 512;
        byte[] bytes = randomBytes(type, rows * cols, rnd);
        Tensor w = tensor(type, bytes, rows * cols);
        double[] ref = ReferenceDequant.dequantize(type, bytes, rows * cols);
        for (int T = 1; T <= 9; T++) {
            float[][] x = new float[T][cols];
            for (float[] row : x) {
                for (int i = 0; i < cols; i++) {
                    row[i] = (float) rnd.nextGaussian();
                }
            }
            float[][] out = new float[T][rows + 3];
            w.matmul(x, T, cols, out, 3, 0, rows, new float[Tensor.scratchFloats(cols)]);
            for (int t = 0; t < T; t++) {
                for (int r = 0; r < rows; r++) {
                    double e = 0, s = 0;
                    for (int k = 0; k < cols; k++) {
                        e += ref[r * cols + k] * x[t][k];
                        s += Math.abs(ref[r * cols + k] * x[t][k]);
                    }
                    assertThat((double) out[t][3 + r]).as("T=%d t=%d r=%d", T, t, r).isCloseTo(e, within(1e-5 * s + 1e-6));
                }
            }
        }
    }

    @Test
    void quantizationErrorIsWithinEachFormatsBound() {
        Random rnd = new Random(7);
        int n = 32 * 64;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextGaussian() * (1 + i % 5));
        }
        for (GgmlType type : new GgmlType[] {GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0}) {
            float[] y = tensor(type, Quantize.quantize(type, x, 0, n), n).toFloatArray();
            for (int blk = 0; blk < n / 32; blk++) {
                float amax = 0;
                for (int j = 0; j < 32; j++) {
                    amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
                }
                for (int j = 0; j < 32; j++) {
                    int i = blk * 32 + j;
                    double err = Math.abs(y[i] - x[i]);
                    double bound = switch (type) {
                        case F16 -> Math.abs(x[i]) * 0x1p-11 + 1e-7;           // half an ulp of an 11-bit significand
                        case BF16 -> Math.abs(x[i]) * 0x1p-8;                   // half an ulp of an 8-bit significand
                        case Q8_0 -> 0.5 * amax / 127 * 1.01 + amax * 0x1p-11;  // half a step, plus the f16 scale rounding
                        case Q4_0 -> amax / 8 * 1.01 + amax * 0x1p-10;          // one step (the +8 end is clamped to +7)
                        default -> throw new AssertionError();
                    };
                    assertThat(err).as("%s element %d (%f -> %f)", type, i, x[i], y[i]).isLessThanOrEqualTo(bound);
                }
            }
        }
    }

    @Test
    void quantizeMatchesKnownQ8_0Codes() {
        float[] x = new float[32];
        for (int j = 0; j < 32; j++) {
            x[j] = j - 16;
        }
        byte[] b = Quantize.quantize(GgmlType.Q8_0, x, 0, 32);
        assertThat(ReferenceDequant.half(b, 0)).isCloseTo(16f / 127, within(1e-4f));
        assertThat(b[2]).isEqualTo((byte) -127);   // -16 is the largest magnitude
        assertThat(b[2 + 16]).isEqualTo((byte) 0);
        assertThat(b[2 + 24]).isEqualTo((byte) 64); // 8 / (16/127) = 63.5 -> rounds away from zero
    }

    @Test
    void twoQueryAttentionKernelsEqualTheirOneQueryForms() {
        Random rnd = new Random(12);
        for (int n : new int[] {0, 1, 31, 63, 64, 65, 130}) {
            for (int d : new int[] {3, 16, 64, 80, 128}) {
                int stride = n + 5, vStride = d + 7;
                float[] m = new float[d * stride + 3], v = new float[(n + 1) * vStride + 4];
                float[] q0 = new float[d + 4], q1 = new float[d + 4], w0 = new float[n + 1], w1 = new float[n + 1];
                for (float[] a : new float[][] {m, v, q0, q1, w0, w1}) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] = (float) rnd.nextGaussian();
                    }
                }
                float[] dots0 = new float[n + 2], dots1 = new float[n + 2], one0 = new float[n + 2], one1 = new float[n + 2];
                Kernels.transposedDots2(q0, 1, q1, 3, d, m, 3, stride, n, dots0, dots1, 1);
                Kernels.transposedDots(q0, 1, d, m, 3, stride, n, one0, 1);
                Kernels.transposedDots(q1, 3, d, m, 3, stride, n, one1, 1);
                float[] out0 = new float[d + 9], out1 = new float[d + 9], row0 = new float[d + 9], row1 = new float[d + 9];
                Kernels.weightedRows2(w0, out0, 2, w1, out1, 5, n, v, 4, vStride, d);
                Kernels.weightedRows(w0, n, v, 4, vStride, row0, 2, d);
                Kernels.weightedRows(w1, n, v, 4, vStride, row1, 5, d);
                for (int j = 1; j <= n; j++) {
                    assertThat(dots0[j]).as("transposedDots2 n=%d d=%d j=%d", n, d, j).isEqualTo(one0[j]);
                    assertThat(dots1[j]).as("transposedDots2 n=%d d=%d j=%d", n, d, j).isEqualTo(one1[j]);
                }
                for (int i = 0; i < d + 9; i++) {
                    assertThat(out0[i]).as("weightedRows2 n=%d d=%d i=%d", n, d, i).isEqualTo(row0[i]);
                    assertThat(out1[i]).as("weightedRows2 n=%d d=%d i=%d", n, d, i).isEqualTo(row1[i]);
                }
            }
        }
    }

    @Test
    void attentionKernelsMatchPlainSums() {
        Random rnd = new Random(11);
        for (int n : new int[] {0, 1, 15, 16, 17, 63, 64, 65, 100, 130, 257}) {
            for (int d : new int[] {3, 16, 64, 80}) {
                int stride = n + 5, vStride = d + 7;
                float[] q = new float[d + 2], m = new float[d * stride + 3], v = new float[(n + 1) * vStride + 4], w = new float[n + 1];
                for (float[] a : new float[][] {q, m, v, w}) {
                    for (int i = 0; i < a.length; i++) {
                        a[i] = (float) rnd.nextGaussian();
                    }
                }
                float[] dots = new float[n + 1];
                Kernels.transposedDots(q, 2, d, m, 3, stride, n, dots);
                for (int j = 0; j < n; j++) {
                    double e = 0, mag = 0;
                    for (int k = 0; k < d; k++) {
                        e += (double) q[2 + k] * m[3 + k * stride + j];
                        mag += Math.abs((double) q[2 + k] * m[3 + k * stride + j]);
                    }
                    assertThat((double) dots[j]).as("transposedDots n=%d d=%d j=%d", n, d, j).isCloseTo(e, within(1e-5 * mag + 1e-6));
                }
                float[] out = new float[d + 6];
                out[2] = 99;
                out[3 + d] = 77;
                Kernels.weightedRows(w, n, v, 4, vStride, out, 3, d);
                assertThat(out[2]).isEqualTo(99);
                assertThat(out[3 + d]).isEqualTo(77);
                for (int i = 0; i < d; i++) {
                    double e = 0, mag = 0;
                    for (int j = 0; j < n; j++) {
                        e += (double) w[j] * v[4 + j * vStride + i];
                        mag += Math.abs((double) w[j] * v[4 + j * vStride + i]);
                    }
                    assertThat((double) out[3 + i]).as("weightedRows n=%d d=%d i=%d", n, d, i).isCloseTo(e, within(1e-5 * mag + 1e-6));
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q5_K", "Q6_K"})
    void matmulGivesEveryTokenAndRowTheBitsOfItsOwnDot(GgmlType type) {
        // the lossless contract: a row's product with a token is the same float whatever T is and whichever
        // rows share its panel, so batched, tree and one-token forwards agree bit for bit
        Random rnd = new Random(99 + type.ordinal());
        int rows = 11, cols = 768;
        Tensor w = tensor(type, randomBytes(type, rows * cols, rnd), rows * cols);
        float[] scratch = new float[Tensor.scratchFloats(cols)];
        for (int T = 1; T <= 10; T++) {
            float[][] x = new float[T][cols];
            for (float[] row : x) {
                for (int i = 0; i < cols; i++) {
                    row[i] = (float) rnd.nextGaussian();
                }
            }
            for (int[] range : new int[][] {{0, rows}, {1, 4}, {3, 10}, {10, 11}}) {
                float[][] out = new float[T][rows];
                w.matmul(x, T, cols, out, 0, range[0], range[1], scratch);
                for (int t = 0; t < T; t++) {
                    for (int r = range[0]; r < range[1]; r++) {
                        assertThat(out[t][r]).as("T=%d t=%d r=%d rows %d..%d", T, t, r, range[0], range[1])
                                .isEqualTo(w.dot((long) r * cols, x[t], cols));
                    }
                }
            }
        }
    }

    @Test
    void expIsAccurateAndTheSameInVectorAndScalarForm() {
        Random rnd = new Random(5);
        int n = 4099;   // not a multiple of any vector width: the tail runs the scalar form
        float[] a = new float[n], b = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i < 8 ? new float[] {0f, -0f, 1f, -1f, 88f, -87f, 200f, -1e30f}[i] : (float) (rnd.nextGaussian() * 30);
        }
        System.arraycopy(a, 0, b, 0, n);
        float max = 0;
        for (float v : a) {
            max = Math.max(max, v);
        }
        float sum = Kernels.expMinusMaxInPlace(a, n, max);
        double expected = 0;
        for (int i = 0; i < n; i++) {
            float x = Math.min(Math.max(b[i] - max, -87f), 88f);
            assertThat(a[i]).as("exp(%s)", x).isEqualTo(Kernels.exp(b[i] - max));
            assertThat((double) a[i]).as("exp(%s)", x).isCloseTo(Math.exp(x), within(3e-7 * Math.exp(x)));
            expected += a[i];
        }
        assertThat((double) sum).isCloseTo(expected, within(1e-5 * expected));
        assertThat((double) Kernels.exp(88f)).isCloseTo(Math.exp(88), within(3e-7 * Math.exp(88)));
        assertThat(Kernels.exp(-1e30f)).isEqualTo(Kernels.exp(-87f)).isPositive();
        float[] gate = {-30f, -2f, -0.5f, 0f, 0.5f, 2f, 30f}, up = {1f, 2f, 3f, 4f, 5f, 6f, 7f};
        float[] g = gate.clone();
        Kernels.swiglu(g, up, g.length);
        for (int i = 0; i < g.length; i++) {
            double silu = gate[i] / (1 + Math.exp(-gate[i]));
            assertThat((double) g[i]).as("swiglu(%s)", gate[i]).isCloseTo(silu * up[i], within(1e-6 * (Math.abs(silu * up[i]) + 1e-6)));
        }
    }

    @Test
    void threadPoolCoversEveryIndexOnce() {
        try (ThreadPool pool = new ThreadPool(3)) {
            for (int round = 0; round < 200; round++) {
                int n = 1 + round * 7 % 300;
                int[] hits = new int[n];
                pool.run(n, 1 + round % 5, (from, to, worker) -> {
                    for (int i = from; i < to; i++) {
                        hits[i]++;
                    }
                });
                for (int i = 0; i < n; i++) {
                    assertThat(hits[i]).as("round %d index %d", round, i).isEqualTo(1);
                }
            }
        }
    }
}
