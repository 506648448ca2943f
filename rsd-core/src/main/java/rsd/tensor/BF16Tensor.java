package rsd.tensor;

import java.lang.foreign.MemorySegment;

import rsd.gguf.GgmlType;

/** bfloat16: the top 16 bits of a float32. */
final class BF16Tensor extends Tensor {
    BF16Tensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.BF16;
    }

    @Override
    public float get(long index) {
        return Float.intBitsToFloat(data.get(Kernels.SHORT_LE, index * 2) << 16);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        int k = 0;
        if (Kernels.VECTOR) {
            for (int bound = Kernels.F.loopBound(n); k < bound; k += Kernels.L) {
                Kernels.bf16sToFloats(data, (from + k) * 2).intoArray(out, off + k);
            }
        }
        for (; k < n; k++) {
            out[off + k] = get(from + k);
        }
    }
}
