package rsd.tensor;

import java.lang.foreign.MemorySegment;

import rsd.gguf.GgmlType;

/** IEEE half precision. */
final class F16Tensor extends Tensor {
    F16Tensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public float get(long index) {
        return Kernels.half(data, index * 2);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        int k = 0;
        if (Kernels.VECTOR) {
            for (int bound = Kernels.F.loopBound(n); k < bound; k += Kernels.L) {
                Kernels.halfsToFloats(data, (from + k) * 2).intoArray(out, off + k);
            }
        }
        for (; k < n; k++) {
            out[off + k] = get(from + k);
        }
    }
}
