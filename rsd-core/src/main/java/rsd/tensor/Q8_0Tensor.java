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

    /**
     * Decoded in registers straight from the mapped bytes, no scratch panel: per panel of four rows, the
     * tokens in pairs through {@link Kernels#q8Rows2} (each weight decoded once for two tokens), a last odd
     * token through {@link Kernels#q8Rows1}. The panel's rows (under 10 KB for rows of 2,048 weights) stay
     * in the L1 cache from one pair to the next, so a forward still reads each weight from memory once.
     * Every (row, token) sums in the canonical order, so the bits do not depend on T.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (!Kernels.VECTOR) {
            super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
            return;
        }
        long rowBytes = (long) cols / BLOCK * BYTES;
        for (int r = r0; r < r1; r += Kernels.PANEL_ROWS) {
            int rows = Math.min(Kernels.PANEL_ROWS, r1 - r);
            int t = 0;
            for (; t + 2 <= T; t += 2) {
                Kernels.q8Rows2(data, r * rowBytes, rowBytes, rows, cols, x[t], x[t + 1], out[t], out[t + 1], outOff + r, scratch);
            }
            if (t < T) {
                Kernels.q8Rows1(data, r * rowBytes, rowBytes, rows, cols, x[t], out[t], outOff + r, scratch);
            }
        }
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
