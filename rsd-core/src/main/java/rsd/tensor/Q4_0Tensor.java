package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import rsd.gguf.GgmlType;

/**
 * Blocks of 32 weights: an f16 scale d, then 16 bytes; byte j holds weight j in its low nibble and weight
 * j+16 in its high nibble, each stored as q+8; weight = d * (nibble - 8).
 */
final class Q4_0Tensor extends Tensor {
    static final int BLOCK = 32;
    static final int BYTES = 18;

    Q4_0Tensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q4_0;
    }

    @Override
    public float get(long index) {
        long block = (index / BLOCK) * BYTES;
        int j = (int) (index % BLOCK);
        int b = data.get(ValueLayout.JAVA_BYTE, block + 2 + (j & 15)) & 0xff;
        int q = j < 16 ? b & 15 : b >>> 4;
        return Kernels.half(data, block) * (q - 8);
    }

    private static FloatVector low(ByteVector q) {
        return (FloatVector) q.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, Kernels.F, 0);
    }

    private static FloatVector high(ByteVector q) {
        return (FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, Kernels.F, 0);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k += BLOCK) {
            long block = (from + k) / BLOCK * BYTES;
            if (Kernels.VECTOR) {
                float d = Kernels.half(data, block);
                for (int j = 0; j < 16; j += Kernels.L) {
                    ByteVector q = ByteVector.fromMemorySegment(Kernels.B, data, block + 2 + j, Kernels.LE);
                    low(q).mul(d).intoArray(out, off + k + j);
                    high(q).mul(d).intoArray(out, off + k + 16 + j);
                }
            } else {
                for (int j = 0; j < BLOCK; j++) {
                    out[off + k + j] = get(from + k + j);
                }
            }
        }
    }
}
