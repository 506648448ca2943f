package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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

    @Override
    public float dot(long from, float[] x, int n) {
        if (!Kernels.VECTOR) {
            float sum = 0;
            for (int k = 0; k < n; k++) {
                sum += get(from + k) * x[k];
            }
            return sum;
        }
        // Scale the two decoded halves once, and keep two accumulators so consecutive FMAs do not wait on each other.
        FloatVector acc0 = FloatVector.zero(Kernels.F), acc1 = acc0;
        long block = from / BLOCK * BYTES;
        if (Kernels.L == 16) {
            for (int k = 0; k < n; k += BLOCK, block += BYTES) {
                FloatVector d = FloatVector.broadcast(Kernels.F, Kernels.half(data, block));
                acc0 = Kernels.bytesToFloats(data, block + 2).mul(d).fma(FloatVector.fromArray(Kernels.F, x, k), acc0);
                acc1 = Kernels.bytesToFloats(data, block + 18).mul(d).fma(FloatVector.fromArray(Kernels.F, x, k + 16), acc1);
            }
            return acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        }
        FloatVector acc = acc0;
        for (int k = 0; k < n; k += BLOCK, block += BYTES) {
            FloatVector blockSum = FloatVector.zero(Kernels.F);
            for (int j = 0; j < BLOCK; j += Kernels.L) {
                blockSum = Kernels.bytesToFloats(data, block + 2 + j).fma(FloatVector.fromArray(Kernels.F, x, k + j), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(Kernels.F, Kernels.half(data, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Weight-stationary kernel: rows r0..r1 times activation rows, each block decoded once per group of
     * four activation rows and kept in registers (the row's bytes are re-read from L1 for the next group).
     * On AVX-512 this runs at about two FMAs per (block, activation row), which is the float FMA limit;
     * decoding into a scratch row and running float dot kernels measured about 1.5x slower.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (!Kernels.VECTOR || Kernels.L != 16) {
            super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
            return;
        }
        for (int r = r0; r < r1; r++) {
            long base = (long) r * cols / BLOCK * BYTES;
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                dot4(base, x[t], x[t + 1], x[t + 2], x[t + 3], cols, out, t, outOff + r);
            }
            if (t + 2 <= T) {
                dot2(base, x[t], x[t + 1], cols, out, t, outOff + r);
                t += 2;
            }
            if (t < T) {
                out[t][outOff + r] = dot((long) r * cols, x[t], cols);
            }
        }
    }

    /**
     * Four rows of activations against one weight row. Each block is decoded and scaled once; every
     * activation row keeps two accumulators (first and second half of the block) so that no chain of
     * dependent FMAs limits the loop.
     */
    private void dot4(long block, float[] x0, float[] x1, float[] x2, float[] x3, int n, float[][] out, int t, int index) {
        var F = Kernels.F;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int k = 0; k < n; k += BLOCK, block += BYTES) {
            FloatVector d = FloatVector.broadcast(F, Kernels.half(data, block));
            FloatVector w0 = Kernels.bytesToFloats(data, block + 2).mul(d);
            FloatVector w1 = Kernels.bytesToFloats(data, block + 2 + 16).mul(d);
            a0 = w0.fma(FloatVector.fromArray(F, x0, k), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x0, k + 16), b0);
            a1 = w0.fma(FloatVector.fromArray(F, x1, k), a1);
            b1 = w1.fma(FloatVector.fromArray(F, x1, k + 16), b1);
            a2 = w0.fma(FloatVector.fromArray(F, x2, k), a2);
            b2 = w1.fma(FloatVector.fromArray(F, x2, k + 16), b2);
            a3 = w0.fma(FloatVector.fromArray(F, x3, k), a3);
            b3 = w1.fma(FloatVector.fromArray(F, x3, k + 16), b3);
        }
        out[t][index] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        out[t + 2][index] = a2.add(b2).reduceLanes(VectorOperators.ADD);
        out[t + 3][index] = a3.add(b3).reduceLanes(VectorOperators.ADD);
    }

    private void dot2(long block, float[] x0, float[] x1, int n, float[][] out, int t, int index) {
        var F = Kernels.F;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int k = 0; k < n; k += BLOCK, block += BYTES) {
            FloatVector d = FloatVector.broadcast(F, Kernels.half(data, block));
            FloatVector w0 = Kernels.bytesToFloats(data, block + 2).mul(d);
            FloatVector w1 = Kernels.bytesToFloats(data, block + 2 + 16).mul(d);
            a0 = w0.fma(FloatVector.fromArray(F, x0, k), a0);
            b0 = w1.fma(FloatVector.fromArray(F, x0, k + 16), b0);
            a1 = w0.fma(FloatVector.fromArray(F, x1, k), a1);
            b1 = w1.fma(FloatVector.fromArray(F, x1, k + 16), b1);
        }
        out[t][index] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.add(b1).reduceLanes(VectorOperators.ADD);
    }
}
