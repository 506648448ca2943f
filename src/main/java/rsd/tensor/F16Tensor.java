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
     * used for up to four activation rows, and two weight rows share every activation load.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (!Kernels.VECTOR || T == 1 || cols % Kernels.L != 0) {
            super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
            return;
        }
        long rowBytes = 2L * cols;
        int r = r0;
        if (T == 2 || T == 3) {
            for (; r + 2 <= r1; r += 2) {
                dot2x2(r * rowBytes, (r + 1) * rowBytes, x[0], x[1], cols, out, outOff + r);
                if (T == 3) {
                    out[2][outOff + r] = dot((long) r * cols, x[2], cols);
                    out[2][outOff + r + 1] = dot((long) (r + 1) * cols, x[2], cols);
                }
            }
        }
        if (T >= 4) {
            for (; r + 2 <= r1; r += 2) {
                int t = 0;
                for (; t + 4 <= T; t += 4) {
                    dot2x4(r * rowBytes, (r + 1) * rowBytes, x, t, cols, out, outOff + r);
                }
                rest(r, t, T, x, cols, out, outOff);
                rest(r + 1, t, T, x, cols, out, outOff);
            }
        }
        for (; r < r1; r++) {
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                dot1x4(r * rowBytes, x, t, cols, out, outOff + r);
            }
            rest(r, t, T, x, cols, out, outOff);
        }
    }

    private void rest(int r, int t, int T, float[][] x, int cols, float[][] out, int outOff) {
        if (t + 2 <= T) {
            dot1x2(2L * r * cols, x[t], x[t + 1], cols, out, t, outOff + r);
            t += 2;
        }
        if (t < T) {
            out[t][outOff + r] = dot((long) r * cols, x[t], cols);
        }
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

    private void dot2x4(long atA, long atB, float[][] x, int t, int n, float[][] out, int index) {
        var F = Kernels.F;
        int L = Kernels.L;
        float[] x0 = x[t], x1 = x[t + 1], x2 = x[t + 2], x3 = x[t + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int k = 0; k < n; k += L, atA += 2L * L, atB += 2L * L) {
            FloatVector wA = Kernels.halfsToFloats(data, atA);
            FloatVector wB = Kernels.halfsToFloats(data, atB);
            FloatVector xv = FloatVector.fromArray(F, x0, k);
            a0 = wA.fma(xv, a0);
            b0 = wB.fma(xv, b0);
            xv = FloatVector.fromArray(F, x1, k);
            a1 = wA.fma(xv, a1);
            b1 = wB.fma(xv, b1);
            xv = FloatVector.fromArray(F, x2, k);
            a2 = wA.fma(xv, a2);
            b2 = wB.fma(xv, b2);
            xv = FloatVector.fromArray(F, x3, k);
            a3 = wA.fma(xv, a3);
            b3 = wB.fma(xv, b3);
        }
        out[t][index] = a0.reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.reduceLanes(VectorOperators.ADD);
        out[t + 2][index] = a2.reduceLanes(VectorOperators.ADD);
        out[t + 3][index] = a3.reduceLanes(VectorOperators.ADD);
        out[t][index + 1] = b0.reduceLanes(VectorOperators.ADD);
        out[t + 1][index + 1] = b1.reduceLanes(VectorOperators.ADD);
        out[t + 2][index + 1] = b2.reduceLanes(VectorOperators.ADD);
        out[t + 3][index + 1] = b3.reduceLanes(VectorOperators.ADD);
    }

    /** Weight rows A and B against activation rows 0 and 1. */
    private void dot2x2(long atA, long atB, float[] x0, float[] x1, int n, float[][] out, int index) {
        var F = Kernels.F;
        int L = Kernels.L;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int k = 0; k < n; k += L, atA += 2L * L, atB += 2L * L) {
            FloatVector wA = Kernels.halfsToFloats(data, atA);
            FloatVector wB = Kernels.halfsToFloats(data, atB);
            FloatVector xv = FloatVector.fromArray(F, x0, k);
            a0 = wA.fma(xv, a0);
            b0 = wB.fma(xv, b0);
            xv = FloatVector.fromArray(F, x1, k);
            a1 = wA.fma(xv, a1);
            b1 = wB.fma(xv, b1);
        }
        out[0][index] = a0.reduceLanes(VectorOperators.ADD);
        out[1][index] = a1.reduceLanes(VectorOperators.ADD);
        out[0][index + 1] = b0.reduceLanes(VectorOperators.ADD);
        out[1][index + 1] = b1.reduceLanes(VectorOperators.ADD);
    }
}
