package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import rsd.gguf.GgmlType;

/**
 * Super-blocks of 256 weights (144 bytes): f16 d, f16 dmin, 12 bytes packing eight 6-bit scales and eight
 * 6-bit mins, then 128 bytes of 4-bit values. Each 64 weights use two sub-blocks of 32: the low nibbles
 * of 32 bytes with (scale, min) number 2i, their high nibbles with number 2i+1;
 * weight = d * scale * q - dmin * min.
 */
final class Q4_KTensor extends Tensor implements Kernels.SuperBlockPairs {
    static final int BLOCK = 256;
    static final int BYTES = 144;
    private static final ThreadLocal<float[]> BLOCK_BUFFER = ThreadLocal.withInitial(() -> new float[BLOCK]);

    Q4_KTensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_K;
    }

    /**
     * 6-bit scale (which = 0) or min (which = 1) of sub-block j (0..7), from the block's 12 packed scale
     * bytes read as a long (bytes 0-7) and an int (8-11): one checked segment access per byte cost more
     * than the arithmetic of a whole block.
     */
    static int packed(long s0, int s1, int j, int which) {
        if (j < 4) {
            return byteAt(s0, s1, j + 4 * which) & 63;
        }
        int p = byteAt(s0, s1, j + 4);
        int high = byteAt(s0, s1, j - 4 + 4 * which) >>> 6;
        return (which == 0 ? p & 15 : p >>> 4) | (high << 4);
    }

    private static int byteAt(long s0, int s1, int i) {
        return i < 8 ? (int) (s0 >>> (8 * i)) & 0xff : (s1 >>> (8 * (i - 8))) & 0xff;
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK * BYTES;
        int i = (int) (index % BLOCK);
        int group = i / 64;
        int l = i % 64;
        int sub = 2 * group + (l < 32 ? 0 : 1);
        int b = data.get(ValueLayout.JAVA_BYTE, block + 16 + 32 * group + (l & 31)) & 0xff;
        int q = l < 32 ? b & 15 : b >>> 4;
        float d = Kernels.half(data, block);
        float dmin = Kernels.half(data, block + 2);
        long s0 = data.get(Kernels.LONG_LE, block + 4);
        int s1 = data.get(Kernels.INT_LE, block + 12);
        return d * packed(s0, s1, sub, 0) * q - dmin * packed(s0, s1, sub, 1);
    }

    /**
     * 6-bit scales times d into s[at..at+8) and 6-bit mins times dmin into s[at+8..at+16) for the
     * super-block at {@code block}: the same float products as {@link #dequantize} forms. The 12 packed
     * bytes as three little-endian words: scales and mins 0-3 are the low 6 bits of words 0 and 1; scales
     * and mins 4-7 take their low 4 bits from the nibbles of word 2 and their top 2 bits from the spare top
     * bits of words 0 and 1.
     */
    @Override
    public void scales(MemorySegment seg, long block, float[] s, int at) {
        unpackScales(seg, block, s, at);
    }

    /** {@link #scales} for Q4_K and Q5_K, which pack them alike. */
    static void unpackScales(MemorySegment seg, long block, float[] s, int at) {
        float d = Kernels.half(seg, block), dmin = Kernels.half(seg, block + 2);
        int w0 = seg.get(Kernels.INT_LE, block + 4), w1 = seg.get(Kernels.INT_LE, block + 8), w2 = seg.get(Kernels.INT_LE, block + 12);
        int sc03 = w0 & 0x3f3f3f3f, m03 = w1 & 0x3f3f3f3f;
        int sc47 = (w2 & 0x0f0f0f0f) | ((w0 >>> 2) & 0x30303030);
        int m47 = ((w2 >>> 4) & 0x0f0f0f0f) | ((w1 >>> 2) & 0x30303030);
        for (int j = 0; j < 4; j++) {
            s[at + j] = d * ((sc03 >>> (8 * j)) & 0xff);
            s[at + 4 + j] = d * ((sc47 >>> (8 * j)) & 0xff);
            s[at + 8 + j] = dmin * ((m03 >>> (8 * j)) & 0xff);
            s[at + 12 + j] = dmin * ((m47 >>> (8 * j)) & 0xff);
        }
    }

    /**
     * One token goes through {@link #lanes} (two rows decoded in registers, no scratch panel); more
     * tokens through the shared panels. Both sum each (row, token) in the canonical order over the weights
     * {@link #dequantize} gives, so the bits do not depend on T.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (T == 1 && Kernels.VECTOR && Kernels.L <= 32) {
            Kernels.superBlockPairs(this, data, BYTES, cols, x[0], out[0], outOff, r0, r1, scratch);
            return;
        }
        super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
    }

    /** Each weight formed as {@link #dequantize} forms it (d * scale * q - dmin * min, two roundings) and fed to one FMA per lane. */
    @Override
    public void lanes(MemorySegment seg, long p0, long p1, int blocks, float[] x, float[] s, int lanes) {
        FloatVector a0 = FloatVector.zero(Kernels.F), a1 = a0;
        int second = 16 * blocks;
        for (int b = 0; b < blocks; b++, p0 += BYTES, p1 += BYTES) {
            int c0 = 16 * b, c1 = second + 16 * b;
            for (int g = 0; g < 4; g++) {
                long q0 = p0 + 16 + 32 * g, q1 = p1 + 16 + 32 * g;
                int o = BLOCK * b + 64 * g;
                float d0 = s[c0 + 2 * g], m0 = s[c0 + 8 + 2 * g], d1 = s[c1 + 2 * g], m1 = s[c1 + 8 + 2 * g];
                for (int j = 0; j < 32; j += Kernels.L) {
                    FloatVector xv = FloatVector.fromArray(Kernels.F, x, o + j);
                    a0 = low(seg, q0 + j).mul(d0).sub(m0).fma(xv, a0);
                    a1 = low(seg, q1 + j).mul(d1).sub(m1).fma(xv, a1);
                }
                d0 = s[c0 + 2 * g + 1];
                m0 = s[c0 + 9 + 2 * g];
                d1 = s[c1 + 2 * g + 1];
                m1 = s[c1 + 9 + 2 * g];
                for (int j = 0; j < 32; j += Kernels.L) {
                    FloatVector xv = FloatVector.fromArray(Kernels.F, x, o + 32 + j);
                    a0 = high(seg, q0 + j).mul(d0).sub(m0).fma(xv, a0);
                    a1 = high(seg, q1 + j).mul(d1).sub(m1).fma(xv, a1);
                }
            }
        }
        a0.intoArray(s, lanes);
        a1.intoArray(s, lanes + Kernels.L);
    }

    /** The low nibbles of L bytes at {@code at}, as floats. */
    private static FloatVector low(MemorySegment seg, long at) {
        return (FloatVector) ints(seg, at).and(15).convert(VectorOperators.I2F, 0);
    }

    /** The high nibbles of L bytes at {@code at}, as floats. */
    private static FloatVector high(MemorySegment seg, long at) {
        return (FloatVector) ints(seg, at).lanewise(VectorOperators.LSHR, 4).and(15).convert(VectorOperators.I2F, 0);
    }

    /** L bytes at {@code at} widened to ints (integer lane operations are native at every width, byte shifts are not). */
    private static IntVector ints(MemorySegment seg, long at) {
        return (IntVector) ByteVector.fromMemorySegment(Kernels.B, seg, at, Kernels.LE).convertShape(VectorOperators.B2I, Kernels.I, 0);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k += BLOCK) {
            long block = (from + k) / BLOCK * BYTES;
            float d = Kernels.half(data, block);
            float dmin = Kernels.half(data, block + 2);
            long s0 = data.get(Kernels.LONG_LE, block + 4);
            int s1 = data.get(Kernels.INT_LE, block + 12);
            for (int group = 0; group < 4; group++) {
                float d1 = d * packed(s0, s1, 2 * group, 0), m1 = dmin * packed(s0, s1, 2 * group, 1);
                float d2 = d * packed(s0, s1, 2 * group + 1, 0), m2 = dmin * packed(s0, s1, 2 * group + 1, 1);
                long qs = block + 16 + 32 * group;
                int o = off + k + 64 * group;
                if (Kernels.VECTOR && Kernels.L <= 32) {
                    for (int l = 0; l < 32; l += Kernels.L) {
                        ByteVector q = ByteVector.fromMemorySegment(Kernels.B, data, qs + l, Kernels.LE);
                        FloatVector lo = (FloatVector) q.and((byte) 15).convertShape(VectorOperators.B2F, Kernels.F, 0);
                        FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).convertShape(VectorOperators.B2F, Kernels.F, 0);
                        lo.mul(d1).sub(m1).intoArray(out, o + l);
                        hi.mul(d2).sub(m2).intoArray(out, o + 32 + l);
                    }
                } else {
                    for (int l = 0; l < 32; l++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, qs + l) & 0xff;
                        out[o + l] = d1 * (b & 15) - m1;
                        out[o + 32 + l] = d2 * (b >>> 4) - m2;
                    }
                }
            }
        }
    }
}
