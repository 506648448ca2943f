package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import rsd.gguf.GgmlType;

/**
 * Super-blocks of 256 weights (176 bytes): f16 d, f16 dmin, the same 12 packed bytes of eight 6-bit scales
 * and mins as Q4_K, 32 bytes qh of fifth bits, then 128 bytes of low nibbles. Each 64 weights (group g)
 * use 32 nibble bytes: low nibbles form sub-block 2g with bit 2g of qh[l] on top, high nibbles sub-block
 * 2g+1 with bit 2g+1; weight = d * scale * q - dmin * min, q < 32.
 */
final class Q5_KTensor extends Tensor implements Kernels.SuperBlockPairs {
    static final int BLOCK = 256;
    static final int BYTES = 176;
    private static final ThreadLocal<float[]> BLOCK_BUFFER = ThreadLocal.withInitial(() -> new float[BLOCK]);

    Q5_KTensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q5_K;
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK * BYTES;
        int i = (int) (index % BLOCK);
        int group = i / 64;
        int l = i % 64;
        boolean low = l < 32;
        int sub = 2 * group + (low ? 0 : 1);
        int b = data.get(ValueLayout.JAVA_BYTE, block + 48 + 32 * group + (l & 31)) & 0xff;
        int h = (data.get(ValueLayout.JAVA_BYTE, block + 16 + (l & 31)) >>> sub) & 1;
        int q = (low ? b & 15 : b >>> 4) | h << 4;
        float d = Kernels.half(data, block);
        float dmin = Kernels.half(data, block + 2);
        long s0 = data.get(Kernels.LONG_LE, block + 4);
        int s1 = data.get(Kernels.INT_LE, block + 12);
        return d * Q4_KTensor.packed(s0, s1, sub, 0) * q - dmin * Q4_KTensor.packed(s0, s1, sub, 1);
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

    @Override
    public void scales(MemorySegment seg, long block, float[] s, int at) {
        Q4_KTensor.unpackScales(seg, block, s, at);
    }

    /** Each weight formed as {@link #dequantize} forms it (d * scale * q - dmin * min, two roundings) and fed to one FMA per lane. */
    @Override
    public void lanes(MemorySegment seg, long p0, long p1, int blocks, float[] x, float[] s, int lanes) {
        FloatVector a0 = FloatVector.zero(Kernels.F), a1 = a0;
        int second = 16 * blocks;
        for (int b = 0; b < blocks; b++, p0 += BYTES, p1 += BYTES) {
            int c0 = 16 * b, c1 = second + 16 * b;
            for (int sub = 0; sub < 8; sub++) {
                long q = 48 + 32 * (sub >> 1);
                int o = BLOCK * b + 32 * sub, nibble = 4 * (sub & 1);
                float d0 = s[c0 + sub], m0 = s[c0 + 8 + sub], d1 = s[c1 + sub], m1 = s[c1 + 8 + sub];
                for (int j = 0; j < 32; j += Kernels.L) {
                    FloatVector xv = FloatVector.fromArray(Kernels.F, x, o + j);
                    a0 = code(seg, p0 + q + j, p0 + 16 + j, nibble, sub).mul(d0).sub(m0).fma(xv, a0);
                    a1 = code(seg, p1 + q + j, p1 + 16 + j, nibble, sub).mul(d1).sub(m1).fma(xv, a1);
                }
            }
        }
        a0.intoArray(s, lanes);
        a1.intoArray(s, lanes + Kernels.L);
    }

    /** The 5-bit codes of L weights as floats: 4 bits of the qs bytes from bit {@code nibble}, bit {@code bit} of the qh bytes on top. */
    private static FloatVector code(MemorySegment seg, long qs, long qh, int nibble, int bit) {
        IntVector low = ints(seg, qs).lanewise(VectorOperators.LSHR, nibble).and(15);
        IntVector high = ints(seg, qh).lanewise(VectorOperators.LSHR, bit).and(1).lanewise(VectorOperators.LSHL, 4);
        return (FloatVector) low.or(high).convert(VectorOperators.I2F, 0);
    }

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
                int j = 2 * group;
                float d1 = d * Q4_KTensor.packed(s0, s1, j, 0), m1 = dmin * Q4_KTensor.packed(s0, s1, j, 1);
                float d2 = d * Q4_KTensor.packed(s0, s1, j + 1, 0), m2 = dmin * Q4_KTensor.packed(s0, s1, j + 1, 1);
                long qs = block + 48 + 32 * group;
                long qh = block + 16;
                int o = off + k + 64 * group;
                if (Kernels.VECTOR && Kernels.L == 16) {
                    for (int l = 0; l < 32; l += 16) {
                        IntVector q = (IntVector) ByteVector.fromMemorySegment(Kernels.B, data, qs + l, Kernels.LE)
                                .convertShape(VectorOperators.B2I, Kernels.I, 0);
                        IntVector h = (IntVector) ByteVector.fromMemorySegment(Kernels.B, data, qh + l, Kernels.LE)
                                .convertShape(VectorOperators.B2I, Kernels.I, 0);
                        IntVector lo = q.and(15).or(h.lanewise(VectorOperators.LSHR, j).and(1).lanewise(VectorOperators.LSHL, 4));
                        IntVector hi = q.lanewise(VectorOperators.LSHR, 4).and(15).or(h.lanewise(VectorOperators.LSHR, j + 1).and(1).lanewise(VectorOperators.LSHL, 4));
                        ((FloatVector) lo.convert(VectorOperators.I2F, 0)).mul(d1).sub(m1).intoArray(out, o + l);
                        ((FloatVector) hi.convert(VectorOperators.I2F, 0)).mul(d2).sub(m2).intoArray(out, o + 32 + l);
                    }
                } else {
                    for (int l = 0; l < 32; l++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, qs + l) & 0xff;
                        int h = data.get(ValueLayout.JAVA_BYTE, qh + l) & 0xff;
                        out[o + l] = d1 * ((b & 15) | ((h >>> j) & 1) << 4) - m1;
                        out[o + 32 + l] = d2 * ((b >>> 4) | ((h >>> (j + 1)) & 1) << 4) - m2;
                    }
                }
            }
        }
    }
}
