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

    private int scaleByte(long block, int i) {
        return data.get(ValueLayout.JAVA_BYTE, block + 4 + i) & 0xff;
    }

    /** 6-bit scale (which = 0) or min (which = 1) of sub-block j (0..7). */
    private int scaleOrMin(long block, int j, int which) {
        if (j < 4) {
            return scaleByte(block, j + 4 * which) & 63;
        }
        int packed = scaleByte(block, j + 4);
        int high = scaleByte(block, j - 4 + 4 * which) >>> 6;
        return (which == 0 ? packed & 15 : packed >>> 4) | (high << 4);
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
        return d * scaleOrMin(block, sub, 0) * q - dmin * scaleOrMin(block, sub, 1);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k += BLOCK) {
            long block = (from + k) / BLOCK * BYTES;
            float d = Kernels.half(data, block);
            float dmin = Kernels.half(data, block + 2);
            for (int group = 0; group < 4; group++) {
                float d1 = d * scaleOrMin(block, 2 * group, 0), m1 = dmin * scaleOrMin(block, 2 * group, 1);
                float d2 = d * scaleOrMin(block, 2 * group + 1, 0), m2 = dmin * scaleOrMin(block, 2 * group + 1, 1);
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

    @Override
    public float dot(long from, float[] x, int n) {
        float[] buf = BLOCK_BUFFER.get();
        float sum = 0;
        for (int k = 0; k < n; k += BLOCK) {
            dequantize(from + k, buf, 0, BLOCK);
            sum += Kernels.dot(buf, 0, x, k, BLOCK);
        }
        return sum;
    }
}
