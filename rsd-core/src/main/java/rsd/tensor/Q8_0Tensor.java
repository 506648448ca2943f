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
     * One token goes through {@link Kernels#q8Rows1} (decoded in registers, no scratch, a quarter of the
     * panel path's FMAs and stores); more tokens through the shared panels. Both sum each (row, token) in
     * the canonical order, so the bits do not depend on T.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (T == 1 && Kernels.VECTOR) {
            float[] x0 = x[0], o = out[0];
            long rowBytes = (long) cols / BLOCK * BYTES;
            for (int r = r0; r < r1; r += Kernels.PANEL_ROWS) {
                int rows = Math.min(Kernels.PANEL_ROWS, r1 - r);
                Kernels.q8Rows1(data, r * rowBytes, rowBytes, rows, cols, x0, o, outOff + r, scratch);
            }
            return;
        }
        super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
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
