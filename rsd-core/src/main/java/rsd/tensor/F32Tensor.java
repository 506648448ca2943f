package rsd.tensor;

import java.lang.foreign.MemorySegment;

import rsd.gguf.GgmlType;

/** Plain 32-bit floats. */
final class F32Tensor extends Tensor {
    F32Tensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public float get(long index) {
        return data.get(Kernels.FLOAT_LE, index * 4);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k++) {
            out[off + k] = data.get(Kernels.FLOAT_LE, (from + k) * 4);
        }
    }
}
