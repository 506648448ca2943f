package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import rsd.gguf.GgmlType;

/** Blocks of 32 weights: an f16 scale d, then 32 signed bytes q; weight = d * q. */
final class Q8_0Tensor extends Tensor {
    static final int BLOCK = 32;
    static final int BYTES = 34;

    Q8_0Tensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q8_0;
    }

    @Override
    public float get(long index) {
        long block = (index / BLOCK) * BYTES;
        return Kernels.half(data, block) * data.get(ValueLayout.JAVA_BYTE, block + 2 + index % BLOCK);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k += BLOCK) {
            long block = (from + k) / BLOCK * BYTES;
            float d = Kernels.half(data, block);
            if (Kernels.VECTOR) {
                for (int j = 0; j < BLOCK; j += Kernels.L) {
                    Kernels.bytesToFloats(data, block + 2 + j).mul(d).intoArray(out, off + k + j);
                }
            } else {
                for (int j = 0; j < BLOCK; j++) {
                    out[off + k + j] = d * data.get(ValueLayout.JAVA_BYTE, block + 2 + j);
                }
            }
        }
    }
}
