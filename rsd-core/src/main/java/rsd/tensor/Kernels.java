package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float kernels shared by all tensor types, written with the Vector API. {@code F} is the widest float
 * vector of the CPU (16 lanes with AVX-512, 8 with AVX2); quantized types load as many packed weights as
 * there are float lanes and widen them.
 */
public final class Kernels {
    private Kernels() {
    }

    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    static final int L = F.length();
    /** Vector code needs at least 8 float lanes (one 64-bit vector of packed bytes); narrower CPUs use scalar code. */
    static final boolean VECTOR = L >= 8;
    /** L bytes, to widen into L floats. */
    static final VectorSpecies<Byte> B = VECTOR ? ByteVector.SPECIES_64.withShape(VectorShape.forBitSize(L * 8)) : null;
    /** L shorts (F16/BF16 bits). */
    static final VectorSpecies<Short> S = VECTOR ? ShortVector.SPECIES_128.withShape(VectorShape.forBitSize(L * 16)) : null;
    static final VectorSpecies<Integer> I = VECTOR ? IntVector.SPECIES_PREFERRED : null;

    static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(LE);
    static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(LE);

    /** sum_k a[k] * b[k] over n elements. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int k = 0;
        float sum = 0f;
        if (VECTOR) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); k < bound; k += L) {
                acc = FloatVector.fromArray(F, a, aOff + k).fma(FloatVector.fromArray(F, b, bOff + k), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; k < n; k++) {
            sum += a[aOff + k] * b[bOff + k];
        }
        return sum;
    }

    /**
     * Eight dot products of one decoded weight row with activation rows t0..t0+7, reading the weight
     * row once: out[t][outIndex] = w . x[t]. Eight independent accumulators keep the FMA units busy.
     */
    static void dot8(float[] w, float[][] x, int t0, int n, float[][] out, int outIndex) {
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3], x4 = x[t0 + 4], x5 = x[t0 + 5], x6 = x[t0 + 6], x7 = x[t0 + 7];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int k = 0; k < n; k += L) {
            FloatVector wv = FloatVector.fromArray(F, w, k);
            a0 = wv.fma(FloatVector.fromArray(F, x0, k), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x1, k), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x2, k), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x3, k), a3);
            a4 = wv.fma(FloatVector.fromArray(F, x4, k), a4);
            a5 = wv.fma(FloatVector.fromArray(F, x5, k), a5);
            a6 = wv.fma(FloatVector.fromArray(F, x6, k), a6);
            a7 = wv.fma(FloatVector.fromArray(F, x7, k), a7);
        }
        out[t0][outIndex] = a0.reduceLanes(VectorOperators.ADD);
        out[t0 + 1][outIndex] = a1.reduceLanes(VectorOperators.ADD);
        out[t0 + 2][outIndex] = a2.reduceLanes(VectorOperators.ADD);
        out[t0 + 3][outIndex] = a3.reduceLanes(VectorOperators.ADD);
        out[t0 + 4][outIndex] = a4.reduceLanes(VectorOperators.ADD);
        out[t0 + 5][outIndex] = a5.reduceLanes(VectorOperators.ADD);
        out[t0 + 6][outIndex] = a6.reduceLanes(VectorOperators.ADD);
        out[t0 + 7][outIndex] = a7.reduceLanes(VectorOperators.ADD);
    }

    /** As {@link #dot8} for four rows; each row has two accumulators (even and odd vectors) to hide FMA latency. */
    static void dot4(float[] w, float[][] x, int t0, int n, float[][] out, int outIndex) {
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0;
        for (; k + 2 * L <= n; k += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(F, w, k), w1 = FloatVector.fromArray(F, w, k + L);
            a0 = w0.fma(FloatVector.fromArray(F, x0, k), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x0, k + L), b0);
            a1 = w0.fma(FloatVector.fromArray(F, x1, k), a1);
            b1 = w1.fma(FloatVector.fromArray(F, x1, k + L), b1);
            a2 = w0.fma(FloatVector.fromArray(F, x2, k), a2);
            b2 = w1.fma(FloatVector.fromArray(F, x2, k + L), b2);
            a3 = w0.fma(FloatVector.fromArray(F, x3, k), a3);
            b3 = w1.fma(FloatVector.fromArray(F, x3, k + L), b3);
        }
        for (; k < n; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, k);
            a0 = w0.fma(FloatVector.fromArray(F, x0, k), a0);
            a1 = w0.fma(FloatVector.fromArray(F, x1, k), a1);
            a2 = w0.fma(FloatVector.fromArray(F, x2, k), a2);
            a3 = w0.fma(FloatVector.fromArray(F, x3, k), a3);
        }
        out[t0][outIndex] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[t0 + 1][outIndex] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        out[t0 + 2][outIndex] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        out[t0 + 3][outIndex] = a3.add(b3).reduceLanes(VectorOperators.ADD);
    }

    /** Two rows, two accumulators each. */
    static void dot2(float[] w, float[][] x, int t0, int n, float[][] out, int outIndex) {
        float[] x0 = x[t0], x1 = x[t0 + 1];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        int k = 0;
        for (; k + 2 * L <= n; k += 2 * L) {
            FloatVector w0 = FloatVector.fromArray(F, w, k), w1 = FloatVector.fromArray(F, w, k + L);
            a0 = w0.fma(FloatVector.fromArray(F, x0, k), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x0, k + L), b0);
            a1 = w0.fma(FloatVector.fromArray(F, x1, k), a1);
            b1 = w1.fma(FloatVector.fromArray(F, x1, k + L), b1);
        }
        for (; k < n; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, k);
            a0 = w0.fma(FloatVector.fromArray(F, x0, k), a0);
            a1 = w0.fma(FloatVector.fromArray(F, x1, k), a1);
        }
        out[t0][outIndex] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[t0 + 1][outIndex] = a1.add(b1).reduceLanes(VectorOperators.ADD);
    }

    /**
     * All T dot products of one decoded weight row (n a multiple of L): groups of 8, 4, 2 and 1
     * activation rows, each group reading the row from L1.
     */
    static void dots(float[] w, float[][] x, int T, int n, float[][] out, int outIndex) {
        int t = 0;
        for (; t + 8 <= T; t += 8) {
            dot8(w, x, t, n, out, outIndex);
        }
        if (t + 4 <= T) {
            dot4(w, x, t, n, out, outIndex);
            t += 4;
        }
        if (t + 2 <= T) {
            dot2(w, x, t, n, out, outIndex);
            t += 2;
        }
        if (t < T) {
            out[t][outIndex] = dot(w, 0, x[t], 0, n);
        }
    }

    /** out[off..off+n) += a * v[vOff..vOff+n). */
    public static void axpy(float a, float[] v, int vOff, float[] out, int off, int n) {
        int k = 0;
        if (VECTOR) {
            FloatVector av = FloatVector.broadcast(F, a);
            for (int bound = F.loopBound(n); k < bound; k += L) {
                av.fma(FloatVector.fromArray(F, v, vOff + k), FloatVector.fromArray(F, out, off + k)).intoArray(out, off + k);
            }
        }
        for (; k < n; k++) {
            out[off + k] += a * v[vOff + k];
        }
    }

    /** L floats widened from L signed bytes at {@code offset}. */
    static FloatVector bytesToFloats(MemorySegment seg, long offset) {
        return (FloatVector) ByteVector.fromMemorySegment(B, seg, offset, LE).convertShape(VectorOperators.B2F, F, 0);
    }

    /**
     * L floats from L IEEE half-precision values at {@code offset}. There is no vector half-to-float
     * conversion in the Vector API, so it is done with bits: put the exponent and mantissa in float position
     * and multiply by 2^112 to rebias the exponent (which also handles subnormals), then restore the sign.
     * Infinities and NaNs, which weights never hold, come out as large finite values.
     */
    static FloatVector halfsToFloats(MemorySegment seg, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        FloatVector magnitude = h.and(0x7fff).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    /** L floats from L bfloat16 values at {@code offset} (bfloat16 is the top half of a float). */
    static FloatVector bf16sToFloats(MemorySegment seg, long offset) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(S, seg, offset, LE).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    static float half(MemorySegment seg, long offset) {
        return Float.float16ToFloat(seg.get(SHORT_LE, offset));
    }

    /** Sum of a[off..off+n) (memory-bandwidth measurement: four independent accumulators keep loads in flight). */
    public static float sum(float[] a, int off, int n) {
        int k = 0;
        float total = 0;
        if (VECTOR) {
            FloatVector s0 = FloatVector.zero(F), s1 = s0, s2 = s0, s3 = s0;
            for (int bound = n - 4 * L; k <= bound; k += 4 * L) {
                s0 = s0.add(FloatVector.fromArray(F, a, off + k));
                s1 = s1.add(FloatVector.fromArray(F, a, off + k + L));
                s2 = s2.add(FloatVector.fromArray(F, a, off + k + 2 * L));
                s3 = s3.add(FloatVector.fromArray(F, a, off + k + 3 * L));
            }
            total = s0.add(s1).add(s2.add(s3)).reduceLanes(VectorOperators.ADD);
        }
        for (; k < n; k++) {
            total += a[off + k];
        }
        return total;
    }

    /** Bits of the float vectors used (0 when the scalar fallback is active). */
    public static int vectorBits() {
        return VECTOR ? F.vectorBitSize() : 0;
    }

    /** a[0..n) = exp(a[i] - max); returns the sum (softmax numerator). */
    public static float expMinusMaxInPlace(float[] a, int n, float max) {
        int k = 0;
        float sum = 0;
        if (VECTOR) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); k < bound; k += L) {
                FloatVector e = FloatVector.fromArray(F, a, k).sub(max).lanewise(VectorOperators.EXP);
                e.intoArray(a, k);
                acc = acc.add(e);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; k < n; k++) {
            a[k] = (float) Math.exp(a[k] - max);
            sum += a[k];
        }
        return sum;
    }

    /** gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i]. */
    public static void swiglu(float[] gate, float[] up, int n) {
        int k = 0;
        if (VECTOR) {
            for (int bound = F.loopBound(n); k < bound; k += L) {
                FloatVector g = FloatVector.fromArray(F, gate, k);
                FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
                silu.mul(FloatVector.fromArray(F, up, k)).intoArray(gate, k);
            }
        }
        for (; k < n; k++) {
            float g = gate[k];
            gate[k] = g / (1f + (float) Math.exp(-g)) * up[k];
        }
    }

    /**
     * out[j] = sum_e q[qOff+e] * m[mOff + e*stride + j] for j < n: dot products of q with the columns of
     * a row-major matrix, L columns at a time, accumulated in a register over all rows e < d.
     */
    public static void transposedDots(float[] q, int qOff, int d, float[] m, int mOff, int stride, int n, float[] out) {
        transposedDots(q, qOff, d, m, mOff, stride, n, out, 0);
    }

    /** As above, writing out[outOff + j]. */
    public static void transposedDots(float[] q, int qOff, int d, float[] m, int mOff, int stride, int n, float[] out, int outOff) {
        int j = 0;
        if (VECTOR) {
            // four independent accumulators (64 positions on AVX-512): one accumulator is a chain of d
            // dependent FMAs, bound by FMA latency rather than throughput
            for (int bound = n - 4 * L; j <= bound; j += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int e = 0, at = mOff + j; e < d; e++, at += stride) {
                    FloatVector qe = FloatVector.broadcast(F, q[qOff + e]);
                    a0 = FloatVector.fromArray(F, m, at).fma(qe, a0);
                    a1 = FloatVector.fromArray(F, m, at + L).fma(qe, a1);
                    a2 = FloatVector.fromArray(F, m, at + 2 * L).fma(qe, a2);
                    a3 = FloatVector.fromArray(F, m, at + 3 * L).fma(qe, a3);
                }
                a0.intoArray(out, outOff + j);
                a1.intoArray(out, outOff + j + L);
                a2.intoArray(out, outOff + j + 2 * L);
                a3.intoArray(out, outOff + j + 3 * L);
            }
            for (int bound = F.loopBound(n); j < bound; j += L) {
                FloatVector acc = FloatVector.zero(F);
                for (int e = 0; e < d; e++) {
                    acc = FloatVector.fromArray(F, m, mOff + e * stride + j).fma(FloatVector.broadcast(F, q[qOff + e]), acc);
                }
                acc.intoArray(out, outOff + j);
            }
        }
        for (; j < n; j++) {
            float sum = 0;
            for (int e = 0; e < d; e++) {
                sum += q[qOff + e] * m[mOff + e * stride + j];
            }
            out[outOff + j] = sum;
        }
    }

    /**
     * {@link #transposedDots} for two query vectors at once: out0[outOff + j] = q0 . column j and out1[outOff + j]
     * = q1 . column j. Each loaded vector of m feeds two FMAs, so two queries that share keys (heads of one
     * KV group, tokens of one batch) read them once: keys that do not fit in L1 come from L2 at half the rate.
     */
    public static void transposedDots2(float[] q0, int o0, float[] q1, int o1, int d, float[] m, int mOff, int stride,
                                       int n, float[] out0, float[] out1, int outOff) {
        int j = 0;
        if (VECTOR) {
            for (int bound = n - 4 * L; j <= bound; j += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int e = 0, at = mOff + j; e < d; e++, at += stride) {
                    FloatVector x = FloatVector.broadcast(F, q0[o0 + e]);
                    FloatVector y = FloatVector.broadcast(F, q1[o1 + e]);
                    FloatVector k = FloatVector.fromArray(F, m, at);
                    a0 = k.fma(x, a0);
                    b0 = k.fma(y, b0);
                    k = FloatVector.fromArray(F, m, at + L);
                    a1 = k.fma(x, a1);
                    b1 = k.fma(y, b1);
                    k = FloatVector.fromArray(F, m, at + 2 * L);
                    a2 = k.fma(x, a2);
                    b2 = k.fma(y, b2);
                    k = FloatVector.fromArray(F, m, at + 3 * L);
                    a3 = k.fma(x, a3);
                    b3 = k.fma(y, b3);
                }
                a0.intoArray(out0, outOff + j);
                a1.intoArray(out0, outOff + j + L);
                a2.intoArray(out0, outOff + j + 2 * L);
                a3.intoArray(out0, outOff + j + 3 * L);
                b0.intoArray(out1, outOff + j);
                b1.intoArray(out1, outOff + j + L);
                b2.intoArray(out1, outOff + j + 2 * L);
                b3.intoArray(out1, outOff + j + 3 * L);
            }
        }
        if (j < n) {
            transposedDots(q0, o0, d, m, mOff + j, stride, n - j, out0, outOff + j);
            transposedDots(q1, o1, d, m, mOff + j, stride, n - j, out1, outOff + j);
        }
    }

    /**
     * {@link #weightedRows} for two weight vectors over the same rows: out0[off0 + i] = scale0 * sum_j w0[j] *
     * v[vOff + j * stride + i], and the same for w1. Each loaded row vector feeds two FMAs.
     */
    public static void weightedRows2(float[] w0, float scale0, float[] out0, int off0, float[] w1, float scale1,
                                     float[] out1, int off1, int count, float[] v, int vOff, int stride, int n) {
        int i = 0;
        if (VECTOR) {
            for (; i + 4 * L <= n; i += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
                for (int j = 0, at = vOff + i; j < count; j++, at += stride) {
                    FloatVector x = FloatVector.broadcast(F, w0[j]);
                    FloatVector y = FloatVector.broadcast(F, w1[j]);
                    FloatVector r = FloatVector.fromArray(F, v, at);
                    a0 = r.fma(x, a0);
                    b0 = r.fma(y, b0);
                    r = FloatVector.fromArray(F, v, at + L);
                    a1 = r.fma(x, a1);
                    b1 = r.fma(y, b1);
                    r = FloatVector.fromArray(F, v, at + 2 * L);
                    a2 = r.fma(x, a2);
                    b2 = r.fma(y, b2);
                    r = FloatVector.fromArray(F, v, at + 3 * L);
                    a3 = r.fma(x, a3);
                    b3 = r.fma(y, b3);
                }
                a0.mul(scale0).intoArray(out0, off0 + i);
                a1.mul(scale0).intoArray(out0, off0 + i + L);
                a2.mul(scale0).intoArray(out0, off0 + i + 2 * L);
                a3.mul(scale0).intoArray(out0, off0 + i + 3 * L);
                b0.mul(scale1).intoArray(out1, off1 + i);
                b1.mul(scale1).intoArray(out1, off1 + i + L);
                b2.mul(scale1).intoArray(out1, off1 + i + 2 * L);
                b3.mul(scale1).intoArray(out1, off1 + i + 3 * L);
            }
        }
        if (i < n) {
            weightedRows(w0, count, scale0, v, vOff + i, stride, out0, off0 + i, n - i);
            weightedRows(w1, count, scale1, v, vOff + i, stride, out1, off1 + i, n - i);
        }
    }

    /**
     * out[off + i] = scale * sum_j w[j] * v[vOff + j * stride + i] for i < n, j < count (attention's
     * weighted sum of V rows). Up to 4 vectors of out stay in registers across all rows, instead of one
     * load-FMA-store per row and vector.
     */
    public static void weightedRows(float[] w, int count, float scale, float[] v, int vOff, int stride, float[] out, int off, int n) {
        int i = 0;
        if (VECTOR) {
            for (; i + 4 * L <= n; i += 4 * L) {
                FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
                for (int j = 0, at = vOff + i; j < count; j++, at += stride) {
                    FloatVector wj = FloatVector.broadcast(F, w[j]);
                    a0 = FloatVector.fromArray(F, v, at).fma(wj, a0);
                    a1 = FloatVector.fromArray(F, v, at + L).fma(wj, a1);
                    a2 = FloatVector.fromArray(F, v, at + 2 * L).fma(wj, a2);
                    a3 = FloatVector.fromArray(F, v, at + 3 * L).fma(wj, a3);
                }
                a0.mul(scale).intoArray(out, off + i);
                a1.mul(scale).intoArray(out, off + i + L);
                a2.mul(scale).intoArray(out, off + i + 2 * L);
                a3.mul(scale).intoArray(out, off + i + 3 * L);
            }
            for (; i + L <= n; i += L) {
                FloatVector a = FloatVector.zero(F);
                for (int j = 0, at = vOff + i; j < count; j++, at += stride) {
                    a = FloatVector.fromArray(F, v, at).fma(FloatVector.broadcast(F, w[j]), a);
                }
                a.mul(scale).intoArray(out, off + i);
            }
        }
        for (; i < n; i++) {
            float sum = 0;
            for (int j = 0, at = vOff + i; j < count; j++, at += stride) {
                sum += w[j] * v[at];
            }
            out[off + i] = sum * scale;
        }
    }
}
