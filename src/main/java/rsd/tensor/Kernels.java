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
     * Four dot products of one weight row with four activation rows, reading the weight row once:
     * out[t][outIndex] = w . x_t for t = t0..t0+3.
     */
    static void dot4(float[] w, float[][] x, int t0, int n, float[][] out, int outIndex) {
        float[] x0 = x[t0], x1 = x[t0 + 1], x2 = x[t0 + 2], x3 = x[t0 + 3];
        int k = 0;
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        if (VECTOR) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int bound = F.loopBound(n); k < bound; k += L) {
                FloatVector wv = FloatVector.fromArray(F, w, k);
                a0 = wv.fma(FloatVector.fromArray(F, x0, k), a0);
                a1 = wv.fma(FloatVector.fromArray(F, x1, k), a1);
                a2 = wv.fma(FloatVector.fromArray(F, x2, k), a2);
                a3 = wv.fma(FloatVector.fromArray(F, x3, k), a3);
            }
            s0 = a0.reduceLanes(VectorOperators.ADD);
            s1 = a1.reduceLanes(VectorOperators.ADD);
            s2 = a2.reduceLanes(VectorOperators.ADD);
            s3 = a3.reduceLanes(VectorOperators.ADD);
        }
        for (; k < n; k++) {
            s0 += w[k] * x0[k];
            s1 += w[k] * x1[k];
            s2 += w[k] * x2[k];
            s3 += w[k] * x3[k];
        }
        out[t0][outIndex] = s0;
        out[t0 + 1][outIndex] = s1;
        out[t0 + 2][outIndex] = s2;
        out[t0 + 3][outIndex] = s3;
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
}
