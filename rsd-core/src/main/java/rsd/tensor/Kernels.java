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

    /** Weight rows decoded and multiplied together by {@link #panel}. */
    public static final int PANEL_ROWS = 4;

    /*
     * The canonical order of a dot product. Every dot product of the engine -- one weight row with one
     * activation row, whatever T, whichever kernel -- sums in this order, so a token's logits are the same
     * bits whether it is decoded alone, in a batch or in a tree:
     *   1. one vector accumulator per (row, token), fed by one FMA per L-wide chunk, chunks in order;
     *   2. its lanes summed by sumLanes (a fixed tree, not reduceLanes, whose order is unspecified and
     *      differs between the interpreter and compiled code);
     *   3. the elements past the last whole chunk added by scalar FMAs, in order.
     * Kernels differ only in how many such chains they run side by side.
     */

    /**
     * The lanes of v summed by a fixed tree: lane i plus lane i + L/2, then i + L/4, ... (lane 0 of the
     * result). The lanes go through memory: the Vector API's lane shuffles measured several times slower
     * than a store and scalar adds in the matmul kernels.
     */
    static float sumLanes(FloatVector v) {
        float[] lanes = new float[L];
        v.intoArray(lanes, 0);
        return sumLanes(lanes, 0);
    }

    /** {@link #sumLanes(FloatVector)} of the vector stored at v[o..o+L); may overwrite it. */
    static float sumLanes(float[] v, int o) {
        if (L == 16) {
            // the tree written out: 8 + 4 + 2 + 1 adds
            float s0 = v[o] + v[o + 8], s1 = v[o + 1] + v[o + 9], s2 = v[o + 2] + v[o + 10], s3 = v[o + 3] + v[o + 11];
            float s4 = v[o + 4] + v[o + 12], s5 = v[o + 5] + v[o + 13], s6 = v[o + 6] + v[o + 14], s7 = v[o + 7] + v[o + 15];
            float t0 = s0 + s4, t1 = s1 + s5, t2 = s2 + s6, t3 = s3 + s7;
            return (t0 + t2) + (t1 + t3);
        }
        if (L == 8) {
            float t0 = v[o] + v[o + 4], t1 = v[o + 1] + v[o + 5], t2 = v[o + 2] + v[o + 6], t3 = v[o + 3] + v[o + 7];
            return (t0 + t2) + (t1 + t3);
        }
        for (int h = L / 2; h > 0; h >>= 1) {
            for (int i = 0; i < h; i++) {
                v[o + i] += v[o + i + h];
            }
        }
        return v[o];
    }

    /** Step 3 of the canonical order: sum plus a[aOff+k] * b[bOff+k] for from <= k < n, by scalar FMAs. */
    private static float tail(float sum, float[] a, int aOff, float[] b, int bOff, int from, int n) {
        for (int k = from; k < n; k++) {
            sum = Math.fma(a[aOff + k], b[bOff + k], sum);
        }
        return sum;
    }

    /** sum_k a[k] * b[k] over n elements, in the canonical order. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int k = 0;
        float sum = 0f;
        if (VECTOR) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); k < bound; k += L) {
                acc = FloatVector.fromArray(F, a, aOff + k).fma(FloatVector.fromArray(F, b, bOff + k), acc);
            }
            sum = sumLanes(acc);
        }
        return tail(sum, a, aOff, b, bOff, k, n);
    }

    /**
     * out[t][outIndex + i] = row i of w . x[t] for i < rows (at most 4) and t < T, where row i is
     * w[i * n .. i * n + n), and w has room for 4 vectors after the four rows ({@link Tensor#scratchFloats}).
     * Tiles of 4 rows by 2 or 1 tokens: each loaded weight vector feeds two FMAs and each activation vector
     * four. A panel of fewer than four rows repeats its first row and skips the writes of the others.
     */
    static void panel(float[] w, int n, int rows, float[][] x, int T, float[][] out, int outIndex) {
        int o1 = rows > 1 ? n : 0, o2 = rows > 2 ? 2 * n : 0, o3 = rows > 3 ? 3 * n : 0;
        int t = 0;
        if (!VECTOR) {
            for (; t < T; t++) {
                for (int i = 0; i < rows; i++) {
                    out[t][outIndex + i] = tail(0f, w, i * n, x[t], 0, 0, n);
                }
            }
            return;
        }
        // pairs of tokens: a 4 x 4 tile (16 accumulators) measured 50x slower, C2 leaving its vectors boxed
        for (; t + 2 <= T; t += 2) {
            tile4x2(w, o1, o2, o3, n, rows, x[t], x[t + 1], out[t], out[t + 1], outIndex);
        }
        if (t < T) {
            // the last token twice: the same tile as the pairs (a separate one-token tile compiled to code
            // twice as slow in some JVM runs); its second, identical result is not summed or stored
            tile4x2(w, o1, o2, o3, n, rows, x[t], x[t], out[t], out[t], outIndex);
        }
    }

    /**
     * Writes the sums of up to four rows for one token: lanes summed (through w[lanes..lanes + 4L), past
     * the panel), then the scalar tail of each row.
     */
    private static void store4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] w, int o1, int o2, int o3,
                               int k, int n, int rows, float[] x, float[] out, int index) {
        int lanes = PANEL_ROWS * n;
        a0.intoArray(w, lanes);
        a1.intoArray(w, lanes + L);
        a2.intoArray(w, lanes + 2 * L);
        a3.intoArray(w, lanes + 3 * L);
        out[index] = tail(sumLanes(w, lanes), w, 0, x, 0, k, n);
        if (rows > 1) {
            out[index + 1] = tail(sumLanes(w, lanes + L), w, o1, x, 0, k, n);
        }
        if (rows > 2) {
            out[index + 2] = tail(sumLanes(w, lanes + 2 * L), w, o2, x, 0, k, n);
        }
        if (rows > 3) {
            out[index + 3] = tail(sumLanes(w, lanes + 3 * L), w, o3, x, 0, k, n);
        }
    }

    private static void tile4x2(float[] w, int o1, int o2, int o3, int n, int rows, float[] x0, float[] x1, float[] out0, float[] out1, int index) {
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        int k = 0;
        for (int bound = F.loopBound(n); k < bound; k += L) {
            FloatVector w0 = FloatVector.fromArray(F, w, k), w1 = FloatVector.fromArray(F, w, o1 + k);
            FloatVector w2 = FloatVector.fromArray(F, w, o2 + k), w3 = FloatVector.fromArray(F, w, o3 + k);
            FloatVector xv = FloatVector.fromArray(F, x0, k);
            a0 = w0.fma(xv, a0);
            a1 = w1.fma(xv, a1);
            a2 = w2.fma(xv, a2);
            a3 = w3.fma(xv, a3);
            xv = FloatVector.fromArray(F, x1, k);
            b0 = w0.fma(xv, b0);
            b1 = w1.fma(xv, b1);
            b2 = w2.fma(xv, b2);
            b3 = w3.fma(xv, b3);
        }
        store4(a0, a1, a2, a3, w, o1, o2, o3, k, n, rows, x0, out0, index);
        if (x1 != x0) {
            store4(b0, b1, b2, b3, w, o1, o2, o3, k, n, rows, x1, out1, index);
        }
    }

    /**
     * out[index + i] = row i of a Q8_0 matrix . x for i < rows (at most 4), the rows starting at byte
     * {@code base + i * rowBytes}, n a multiple of 32: the bits of {@link #panel} over the rows decoded by
     * {@link Q8_0Tensor#dequantize} (each weight is the float product q * d, fed to one FMA per lane, chunks
     * in order), decoded in registers instead of through a scratch panel. A panel of fewer than four rows
     * repeats its first row. {@code lanes} holds the 4 L lane sums.
     */
    static void q8Rows1(MemorySegment seg, long base, long rowBytes, int rows, int n, float[] x, float[] out, int index, float[] lanes) {
        long p0 = base, p1 = rows > 1 ? base + rowBytes : base, p2 = rows > 2 ? base + 2 * rowBytes : base;
        long p3 = rows > 3 ? base + 3 * rowBytes : base;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < n; k += 32, p0 += 34, p1 += 34, p2 += 34, p3 += 34) {
            float d0 = half(seg, p0), d1 = half(seg, p1), d2 = half(seg, p2), d3 = half(seg, p3);
            for (int j = 0; j < 32; j += L) {
                FloatVector xv = FloatVector.fromArray(F, x, k + j);
                a0 = bytesToFloats(seg, p0 + 2 + j).mul(d0).fma(xv, a0);
                a1 = bytesToFloats(seg, p1 + 2 + j).mul(d1).fma(xv, a1);
                a2 = bytesToFloats(seg, p2 + 2 + j).mul(d2).fma(xv, a2);
                a3 = bytesToFloats(seg, p3 + 2 + j).mul(d3).fma(xv, a3);
            }
        }
        sums4(a0, a1, a2, a3, lanes, rows, out, index);
    }

    /**
     * {@link #q8Rows1} for two tokens: out0[index + i] = row i . x0 and out1[index + i] = row i . x1, each
     * weight decoded once for both (eight accumulators), each in the canonical order, so every element has
     * the bits of its one-token form. {@code lanes} holds 4 L floats.
     */
    static void q8Rows2(MemorySegment seg, long base, long rowBytes, int rows, int n, float[] x0, float[] x1,
                        float[] out0, float[] out1, int index, float[] lanes) {
        long p0 = base, p1 = rows > 1 ? base + rowBytes : base, p2 = rows > 2 ? base + 2 * rowBytes : base;
        long p3 = rows > 3 ? base + 3 * rowBytes : base;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int k = 0; k < n; k += 32, p0 += 34, p1 += 34, p2 += 34, p3 += 34) {
            float d0 = half(seg, p0), d1 = half(seg, p1), d2 = half(seg, p2), d3 = half(seg, p3);
            for (int j = 0; j < 32; j += L) {
                FloatVector xa = FloatVector.fromArray(F, x0, k + j), xb = FloatVector.fromArray(F, x1, k + j);
                FloatVector w = bytesToFloats(seg, p0 + 2 + j).mul(d0);
                a0 = w.fma(xa, a0);
                b0 = w.fma(xb, b0);
                w = bytesToFloats(seg, p1 + 2 + j).mul(d1);
                a1 = w.fma(xa, a1);
                b1 = w.fma(xb, b1);
                w = bytesToFloats(seg, p2 + 2 + j).mul(d2);
                a2 = w.fma(xa, a2);
                b2 = w.fma(xb, b2);
                w = bytesToFloats(seg, p3 + 2 + j).mul(d3);
                a3 = w.fma(xa, a3);
                b3 = w.fma(xb, b3);
            }
        }
        sums4(a0, a1, a2, a3, lanes, rows, out0, index);
        sums4(b0, b1, b2, b3, lanes, rows, out1, index);
    }

    /** The lane sums of up to four one-token accumulators into out[index..index + rows), through {@code lanes}. */
    private static void sums4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float[] lanes, int rows, float[] out, int index) {
        a0.intoArray(lanes, 0);
        a1.intoArray(lanes, L);
        a2.intoArray(lanes, 2 * L);
        a3.intoArray(lanes, 3 * L);
        out[index] = sumLanes(lanes, 0);
        if (rows > 1) {
            out[index + 1] = sumLanes(lanes, L);
        }
        if (rows > 2) {
            out[index + 2] = sumLanes(lanes, 2 * L);
        }
        if (rows > 3) {
            out[index + 3] = sumLanes(lanes, 3 * L);
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
            out[off + k] = Math.fma(a, v[vOff + k], out[off + k]);
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

    private static final float EXP_LO = -87f, EXP_HI = 88f;
    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693145752f, LN2_LO = 1.42860677e-6f;
    /** 1.5 * 2^23: adding it rounds a float of magnitude below 2^22 to an integer (round to nearest even). */
    private static final float ROUNDER = 12582912f;
    private static final float C2 = 1f / 2, C3 = 1f / 6, C4 = 1f / 24, C5 = 1f / 120, C6 = 1f / 720, C7 = 1f / 5040;

    /**
     * exp(x) for each lane, the same bits as {@link #exp(float)} lane by lane: x clamped to [-87, 88], split
     * as n ln 2 + r with |r| <= ln 2 / 2 (Cody-Waite, two-part ln 2), e^r by a degree-7 Taylor polynomial
     * (relative error about 1e-7), times 2^n built from its exponent bits. The Vector API's own EXP is not
     * used: its result differs between the interpreter and compiled code, and a token's logits must not
     * depend on when the JIT compiled the forward.
     */
    static FloatVector exp(FloatVector x) {
        x = x.max(EXP_LO).min(EXP_HI);
        FloatVector n = x.fma(LOG2E, ROUNDER).sub(ROUNDER);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), x);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(C7, C6);
        p = p.fma(r, FloatVector.broadcast(F, C5));
        p = p.fma(r, FloatVector.broadcast(F, C4));
        p = p.fma(r, FloatVector.broadcast(F, C3));
        p = p.fma(r, FloatVector.broadcast(F, C2));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        p = p.fma(r, FloatVector.broadcast(F, 1f));
        IntVector bits = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        return p.mul(bits.reinterpretAsFloats());
    }

    /** The scalar form of {@link #exp(FloatVector)}: the same operations in the same order. */
    static float exp(float x) {
        x = Math.min(Math.max(x, EXP_LO), EXP_HI);
        float n = Math.fma(x, LOG2E, ROUNDER) - ROUNDER;
        float r = Math.fma(n, -LN2_HI, x);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, C7, C6);
        p = Math.fma(p, r, C5);
        p = Math.fma(p, r, C4);
        p = Math.fma(p, r, C3);
        p = Math.fma(p, r, C2);
        p = Math.fma(p, r, 1f);
        p = Math.fma(p, r, 1f);
        return p * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** a[0..n) = exp(a[i] - max); returns the sum (softmax numerator), summed in the canonical order. */
    public static float expMinusMaxInPlace(float[] a, int n, float max) {
        int k = 0;
        float sum = 0;
        if (VECTOR) {
            FloatVector acc = FloatVector.zero(F);
            for (int bound = F.loopBound(n); k < bound; k += L) {
                FloatVector e = exp(FloatVector.fromArray(F, a, k).sub(max));
                e.intoArray(a, k);
                acc = acc.add(e);
            }
            sum = sumLanes(acc);
        }
        for (; k < n; k++) {
            a[k] = exp(a[k] - max);
            sum += a[k];
        }
        return sum;
    }

    /** gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i], vector and scalar lanes alike. */
    public static void swiglu(float[] gate, float[] up, int n) {
        int k = 0;
        if (VECTOR) {
            for (int bound = F.loopBound(n); k < bound; k += L) {
                FloatVector g = FloatVector.fromArray(F, gate, k);
                FloatVector silu = g.div(exp(g.neg()).add(1f));
                silu.mul(FloatVector.fromArray(F, up, k)).intoArray(gate, k);
            }
        }
        for (; k < n; k++) {
            float g = gate[k];
            gate[k] = g / (exp(-g) + 1f) * up[k];
        }
    }

    /** a[off..off+n) *= s. */
    public static void scale(float[] a, int off, int n, float s) {
        int k = 0;
        if (VECTOR) {
            for (int bound = F.loopBound(n); k < bound; k += L) {
                FloatVector.fromArray(F, a, off + k).mul(s).intoArray(a, off + k);
            }
        }
        for (; k < n; k++) {
            a[off + k] *= s;
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
                sum = Math.fma(m[mOff + e * stride + j], q[qOff + e], sum);
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
     * {@link #weightedRows} for two weight vectors over the same rows: out0[off0 + i] = sum_j w0[j] *
     * v[vOff + j * stride + i], and the same for w1. Each loaded row vector feeds two FMAs.
     */
    public static void weightedRows2(float[] w0, float[] out0, int off0, float[] w1, float[] out1, int off1,
                                     int count, float[] v, int vOff, int stride, int n) {
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
                a0.intoArray(out0, off0 + i);
                a1.intoArray(out0, off0 + i + L);
                a2.intoArray(out0, off0 + i + 2 * L);
                a3.intoArray(out0, off0 + i + 3 * L);
                b0.intoArray(out1, off1 + i);
                b1.intoArray(out1, off1 + i + L);
                b2.intoArray(out1, off1 + i + 2 * L);
                b3.intoArray(out1, off1 + i + 3 * L);
            }
        }
        if (i < n) {
            weightedRows(w0, count, v, vOff + i, stride, out0, off0 + i, n - i);
            weightedRows(w1, count, v, vOff + i, stride, out1, off1 + i, n - i);
        }
    }

    /**
     * out[off + i] = sum_j w[j] * v[vOff + j * stride + i] for i < n, j < count (attention's weighted sum
     * of V rows, before normalization). Each output element is one FMA chain over j in order, in vector
     * lanes and in the scalar tail alike, so {@link #axpy} can continue it with more rows and give the same
     * bits as one longer call. Up to 4 vectors of out stay in registers across all rows.
     */
    public static void weightedRows(float[] w, int count, float[] v, int vOff, int stride, float[] out, int off, int n) {
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
                a0.intoArray(out, off + i);
                a1.intoArray(out, off + i + L);
                a2.intoArray(out, off + i + 2 * L);
                a3.intoArray(out, off + i + 3 * L);
            }
            for (; i + L <= n; i += L) {
                FloatVector a = FloatVector.zero(F);
                for (int j = 0, at = vOff + i; j < count; j++, at += stride) {
                    a = FloatVector.fromArray(F, v, at).fma(FloatVector.broadcast(F, w[j]), a);
                }
                a.intoArray(out, off + i);
            }
        }
        for (; i < n; i++) {
            float sum = 0;
            for (int j = 0, at = vOff + i; j < count; j++, at += stride) {
                sum = Math.fma(v[at], w[j], sum);
            }
            out[off + i] = sum;
        }
    }
}
