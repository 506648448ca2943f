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
        if (Kernels.L == 16 && n % (2 * BLOCK) == 0) {
            // Two blocks per iteration, each summed unscaled and then scaled by one FMA into its own
            // accumulator: three FMAs per block and no long dependency chain.
            var F = Kernels.F;
            for (int k = 0; k < n; k += 2 * BLOCK, block += 2 * BYTES) {
                FloatVector s0 = Kernels.bytesToFloats(data, block + 2).mul(FloatVector.fromArray(F, x, k));
                FloatVector s1 = Kernels.bytesToFloats(data, block + 2 + BYTES).mul(FloatVector.fromArray(F, x, k + BLOCK));
                s0 = Kernels.bytesToFloats(data, block + 18).fma(FloatVector.fromArray(F, x, k + 16), s0);
                s1 = Kernels.bytesToFloats(data, block + 18 + BYTES).fma(FloatVector.fromArray(F, x, k + BLOCK + 16), s1);
                acc0 = s0.fma(FloatVector.broadcast(F, Kernels.half(data, block)), acc0);
                acc1 = s1.fma(FloatVector.broadcast(F, Kernels.half(data, block + BYTES)), acc1);
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
        long rowBytes = (long) cols / BLOCK * BYTES;
        int r = r0;
        if (T >= 4) {
            // pairs of weight rows against groups of four activation rows: each activation vector loaded
            // from cache feeds two FMAs, halving the loads that otherwise bound the loop
            for (; r + 2 <= r1; r += 2) {
                int t = 0;
                for (; t + 4 <= T; t += 4) {
                    dot2x4(r * rowBytes, (r + 1) * rowBytes, x, t, cols, out, outOff + r);
                }
                rest(r, t, T, x, cols, out, outOff, rowBytes);
                rest(r + 1, t, T, x, cols, out, outOff, rowBytes);
            }
        }
        for (; r < r1; r++) {
            long base = r * rowBytes;
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                dot4(base, x[t], x[t + 1], x[t + 2], x[t + 3], cols, out, t, outOff + r);
            }
            rest(r, t, T, x, cols, out, outOff, rowBytes);
        }
    }

    /** Activation rows t..T-1 (fewer than four) against weight row r. */
    private void rest(int r, int t, int T, float[][] x, int cols, float[][] out, int outOff, long rowBytes) {
        if (t + 3 == T) {
            // one pass for three rows: a 2 + 1 split decodes the row twice (T = 3 measured slower than T = 4)
            dot3(r * rowBytes, x[t], x[t + 1], x[t + 2], cols, out, t, outOff + r);
            return;
        }
        if (t + 2 <= T) {
            dot2(r * rowBytes, x[t], x[t + 1], cols, out, t, outOff + r);
            t += 2;
        }
        if (t < T) {
            out[t][outOff + r] = dot((long) r * cols, x[t], cols);
        }
    }

    /** Weight rows A and B (index and index+1) against activation rows t..t+3: eight dot products. */
    private void dot2x4(long blockA, long blockB, float[][] x, int t, int n, float[][] out, int index) {
        var F = Kernels.F;
        float[] x0 = x[t], x1 = x[t + 1], x2 = x[t + 2], x3 = x[t + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int k = 0; k < n; k += BLOCK, blockA += BYTES, blockB += BYTES) {
            FloatVector dA = FloatVector.broadcast(F, Kernels.half(data, blockA));
            FloatVector dB = FloatVector.broadcast(F, Kernels.half(data, blockB));
            FloatVector wA0 = Kernels.bytesToFloats(data, blockA + 2).mul(dA);
            FloatVector wB0 = Kernels.bytesToFloats(data, blockB + 2).mul(dB);
            FloatVector xv = FloatVector.fromArray(F, x0, k);
            a0 = wA0.fma(xv, a0);
            b0 = wB0.fma(xv, b0);
            xv = FloatVector.fromArray(F, x1, k);
            a1 = wA0.fma(xv, a1);
            b1 = wB0.fma(xv, b1);
            xv = FloatVector.fromArray(F, x2, k);
            a2 = wA0.fma(xv, a2);
            b2 = wB0.fma(xv, b2);
            xv = FloatVector.fromArray(F, x3, k);
            a3 = wA0.fma(xv, a3);
            b3 = wB0.fma(xv, b3);
            FloatVector wA1 = Kernels.bytesToFloats(data, blockA + 18).mul(dA);
            FloatVector wB1 = Kernels.bytesToFloats(data, blockB + 18).mul(dB);
            xv = FloatVector.fromArray(F, x0, k + 16);
            a0 = wA1.fma(xv, a0);
            b0 = wB1.fma(xv, b0);
            xv = FloatVector.fromArray(F, x1, k + 16);
            a1 = wA1.fma(xv, a1);
            b1 = wB1.fma(xv, b1);
            xv = FloatVector.fromArray(F, x2, k + 16);
            a2 = wA1.fma(xv, a2);
            b2 = wB1.fma(xv, b2);
            xv = FloatVector.fromArray(F, x3, k + 16);
            a3 = wA1.fma(xv, a3);
            b3 = wB1.fma(xv, b3);
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

    private void dot3(long block, float[] x0, float[] x1, float[] x2, int n, float[][] out, int t, int index) {
        var F = Kernels.F;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, b0 = a0, b1 = a0, b2 = a0;
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
        }
        out[t][index] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[t + 1][index] = a1.add(b1).reduceLanes(VectorOperators.ADD);
        out[t + 2][index] = a2.add(b2).reduceLanes(VectorOperators.ADD);
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
