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

    @Override
    public float dot(long from, float[] x, int n) {
        if (!Kernels.VECTOR || Kernels.L > 16) {
            float sum = 0;
            for (int k = 0; k < n; k++) {
                sum += get(from + k) * x[k];
            }
            return sum;
        }
        FloatVector acc = FloatVector.zero(Kernels.F);
        long block = from / BLOCK * BYTES;
        int k = 0;
        if (Kernels.L == 16) {
            // two blocks per iteration into two accumulators: the scaling FMAs do not wait on each other
            var F = Kernels.F;
            FloatVector acc1 = acc;
            for (; k + 2 * BLOCK <= n; k += 2 * BLOCK, block += 2 * BYTES) {
                ByteVector q0 = ByteVector.fromMemorySegment(Kernels.B, data, block + 2, Kernels.LE);
                ByteVector q1 = ByteVector.fromMemorySegment(Kernels.B, data, block + 2 + BYTES, Kernels.LE);
                FloatVector s0 = low(q0).mul(FloatVector.fromArray(F, x, k));
                FloatVector s1 = low(q1).mul(FloatVector.fromArray(F, x, k + BLOCK));
                s0 = high(q0).fma(FloatVector.fromArray(F, x, k + 16), s0);
                s1 = high(q1).fma(FloatVector.fromArray(F, x, k + BLOCK + 16), s1);
                acc = s0.fma(FloatVector.broadcast(F, Kernels.half(data, block)), acc);
                acc1 = s1.fma(FloatVector.broadcast(F, Kernels.half(data, block + BYTES)), acc1);
            }
            acc = acc.add(acc1);
        }
        for (; k < n; k += BLOCK, block += BYTES) {
            FloatVector blockSum = FloatVector.zero(Kernels.F);
            for (int j = 0; j < 16; j += Kernels.L) {
                ByteVector q = ByteVector.fromMemorySegment(Kernels.B, data, block + 2 + j, Kernels.LE);
                blockSum = low(q).fma(FloatVector.fromArray(Kernels.F, x, k + j), blockSum);
                blockSum = high(q).fma(FloatVector.fromArray(Kernels.F, x, k + 16 + j), blockSum);
            }
            acc = blockSum.fma(FloatVector.broadcast(Kernels.F, Kernels.half(data, block)), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Weight-stationary kernel (16-lane vectors): two weight rows against four activation rows, each
     * block's two halves decoded and scaled once; other shapes decode rows into the scratch array.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (!Kernels.VECTOR || Kernels.L != 16 || T == 1) {
            super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
            return;
        }
        long rowBytes = (long) cols / BLOCK * BYTES;
        if (T < 4) {
            for (int r = r0; r < r1; r++) {
                dot1x2(r * rowBytes, x[0], x[1], cols, out, outOff + r);
                if (T == 3) {
                    out[2][outOff + r] = dot((long) r * cols, x[2], cols);
                }
            }
            return;
        }
        int r = r0;
        for (; r + 2 <= r1; r += 2) {
            int t = 0;
            for (; t + 4 <= T; t += 4) {
                dot2x4(r * rowBytes, (r + 1) * rowBytes, x, t, cols, out, outOff + r);
            }
            if (t < T) {
                super.matmulTail(x, t, T, cols, out, outOff, r, r + 2, scratch);
            }
        }
        if (r < r1) {
            super.matmul(x, T, cols, out, outOff, r, r1, scratch);
        }
    }

    private void dot2x4(long blockA, long blockB, float[][] x, int t, int n, float[][] out, int index) {
        var F = Kernels.F;
        float[] x0 = x[t], x1 = x[t + 1], x2 = x[t + 2], x3 = x[t + 3];
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
        for (int k = 0; k < n; k += BLOCK, blockA += BYTES, blockB += BYTES) {
            FloatVector dA = FloatVector.broadcast(F, Kernels.half(data, blockA));
            FloatVector dB = FloatVector.broadcast(F, Kernels.half(data, blockB));
            ByteVector qA = ByteVector.fromMemorySegment(Kernels.B, data, blockA + 2, Kernels.LE);
            ByteVector qB = ByteVector.fromMemorySegment(Kernels.B, data, blockB + 2, Kernels.LE);
            FloatVector wA = low(qA).mul(dA), wB = low(qB).mul(dB);
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
            wA = high(qA).mul(dA);
            wB = high(qB).mul(dB);
            xv = FloatVector.fromArray(F, x0, k + 16);
            a0 = wA.fma(xv, a0);
            b0 = wB.fma(xv, b0);
            xv = FloatVector.fromArray(F, x1, k + 16);
            a1 = wA.fma(xv, a1);
            b1 = wB.fma(xv, b1);
            xv = FloatVector.fromArray(F, x2, k + 16);
            a2 = wA.fma(xv, a2);
            b2 = wB.fma(xv, b2);
            xv = FloatVector.fromArray(F, x3, k + 16);
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

    private void dot1x2(long block, float[] x0, float[] x1, int n, float[][] out, int index) {
        var F = Kernels.F;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, b0 = a0, b1 = a0;
        for (int k = 0; k < n; k += BLOCK, block += BYTES) {
            FloatVector d = FloatVector.broadcast(F, Kernels.half(data, block));
            ByteVector q = ByteVector.fromMemorySegment(Kernels.B, data, block + 2, Kernels.LE);
            FloatVector lo = low(q).mul(d), hi = high(q).mul(d);
            a0 = lo.fma(FloatVector.fromArray(F, x0, k), a0);
            b0 = hi.fma(FloatVector.fromArray(F, x0, k + 16), b0);
            a1 = lo.fma(FloatVector.fromArray(F, x1, k), a1);
            b1 = hi.fma(FloatVector.fromArray(F, x1, k + 16), b1);
        }
        out[0][index] = a0.add(b0).reduceLanes(VectorOperators.ADD);
        out[1][index] = a1.add(b1).reduceLanes(VectorOperators.ADD);
    }
}
