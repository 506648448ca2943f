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
final class Q5_KTensor extends Tensor {
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
