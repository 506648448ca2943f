package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import rsd.gguf.GgmlType;

/**
 * Super-blocks of 256 weights (144 bytes): f16 d, f16 dmin, 12 bytes packing eight 6-bit scales and eight
 * 6-bit mins, then 128 bytes of 4-bit values. Each 64 weights use two sub-blocks of 32: the low nibbles
 * of 32 bytes with (scale, min) number 2i, their high nibbles with number 2i+1;
 * weight = d * scale * q - dmin * min.
 */
final class Q4_KTensor extends Tensor {
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
