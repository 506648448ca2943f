package rsd.tensor;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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

    @Override
    public float dot(long from, float[] x, int n) {
        int k = 0;
        float sum = 0;
        if (Kernels.VECTOR) {
            FloatVector acc = FloatVector.zero(Kernels.F);
            for (int bound = Kernels.F.loopBound(n); k < bound; k += Kernels.L) {
                acc = Kernels.halfsToFloats(data, (from + k) * 2).fma(FloatVector.fromArray(Kernels.F, x, k), acc);
            }
            sum = acc.reduceLanes(VectorOperators.ADD);
        }
        for (; k < n; k++) {
            sum += get(from + k) * x[k];
        }
        return sum;
    }

    /**
     * Weight-stationary kernel for T >= 2: each group of 16 weights is decoded once into a register and
     * used for up to four activation rows (the row is re-read from L1 for the next group of four).
     * One weight row at a time: kernels that paired two weight rows measured fast alone but 1.5-2x slower
     * inside the forward pass of a small model (17 M weights, T = 2 and 4), and the half-to-float decode,
     * not the activation loads, is what the activation rows share.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (!Kernels.VECTOR || T == 1 || cols % Kernels.L != 0) {
            super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
            return;
        }
        long rowBytes = 2L * cols;
        for (int r = r0; r < r1; r++) {
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                dot1x4(r * rowBytes, x, t, cols, out, outOff + r);
            }
            switch (T - t) {
                case 3 -> dot1x3(r * rowBytes, x[t], x[t + 1], x[t + 2], cols, out, t, outOff + r);
                case 2 -> dot1x2(r * rowBytes, x[t], x[t + 1], cols, out, t, outOff + r);
                case 1 -> out[t][outOff + r] = dot((long) r * cols, x[t], cols);
                default -> { }
            }
        }
    }

    private void dot1x3(long at, float[] x0, float[] x1, float[] x2, int n, float[][] out, int t, int index) {
        var F = Kernels.F;
        int L = Kernels.L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0;
        for (int k = 0; k < n; k += L, at += 2L * L) {
            FloatVector w = Kernels.halfsToFloats(data, at);
            a0 = w.fma(FloatVector.fromArray(F, x0, k), a0);
            a1 = w.fma(FloatVector.fromArray(F, x1, k), a1);
            a2 = w.fma(FloatVector.fromArray(F, x2, k), a2);
        }
        out[t][index] = a0.reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.reduceLanes(VectorOperators.ADD);
        out[t + 2][index] = a2.reduceLanes(VectorOperators.ADD);
    }

    private void dot1x2(long at, float[] x0, float[] x1, int n, float[][] out, int t, int index) {
        var F = Kernels.F;
        int L = Kernels.L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int k = 0; k < n; k += L, at += 2L * L) {
            FloatVector w = Kernels.halfsToFloats(data, at);
            a0 = w.fma(FloatVector.fromArray(F, x0, k), a0);
            a1 = w.fma(FloatVector.fromArray(F, x1, k), a1);
        }
        out[t][index] = a0.reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.reduceLanes(VectorOperators.ADD);
    }

    private void dot1x4(long at, float[][] x, int t, int n, float[][] out, int index) {
        var F = Kernels.F;
        int L = Kernels.L;
        float[] x0 = x[t], x1 = x[t + 1], x2 = x[t + 2], x3 = x[t + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < n; k += L, at += 2L * L) {
            FloatVector w = Kernels.halfsToFloats(data, at);
            a0 = w.fma(FloatVector.fromArray(F, x0, k), a0);
            a1 = w.fma(FloatVector.fromArray(F, x1, k), a1);
            a2 = w.fma(FloatVector.fromArray(F, x2, k), a2);
            a3 = w.fma(FloatVector.fromArray(F, x3, k), a3);
        }
        out[t][index] = a0.reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.reduceLanes(VectorOperators.ADD);
        out[t + 2][index] = a2.reduceLanes(VectorOperators.ADD);
        out[t + 3][index] = a3.reduceLanes(VectorOperators.ADD);
    }

}
