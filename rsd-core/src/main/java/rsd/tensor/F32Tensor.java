package rsd.tensor;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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

    @Override
    public float dot(long from, float[] x, int n) {
        int k = 0;
        float sum = 0;
        if (Kernels.VECTOR) {
            FloatVector acc = FloatVector.zero(Kernels.F);
            for (int bound = Kernels.F.loopBound(n); k < bound; k += Kernels.L) {
                acc = FloatVector.fromMemorySegment(Kernels.F, data, (from + k) * 4, Kernels.LE).fma(FloatVector.fromArray(Kernels.F, x, k), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; k < n; k++) {
            sum += get(from + k) * x[k];
        }
        return sum;
    }
}
