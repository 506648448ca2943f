package rsd.tensor;

import java.lang.foreign.MemorySegment;
import rsd.error.RsdException;
import rsd.gguf.GgmlType;

/**
 * A flat array of weights in one ggml storage type, usually a slice of a memory-mapped GGUF file. Rows of
 * a matrix are contiguous runs of {@code cols} elements. Each type implements dequantization; the
 * weight-stationary {@link #matmul} is shared, and a type may override it with a fused kernel that keeps
 * the canonical order of {@link Kernels#dot}.
 */
public abstract class Tensor {
    protected final MemorySegment data;
    protected final long size;

    protected Tensor(MemorySegment data, long size) {
        this.data = data;
        this.size = size;
    }

    /** Wraps stored bytes; an RsdException names the type when the engine cannot compute with it. */
    public static Tensor wrap(GgmlType type, MemorySegment data, long elements) {
        VectorApi.require(); // before any kernel class links against the Vector API
        if (type.bytesFor(elements) != data.byteSize()) {
            throw new IllegalArgumentException(elements + " " + type + " elements need " + type.bytesFor(elements) + " bytes, got " + data.byteSize());
        }
        return switch (type) {
            case F32 -> new F32Tensor(data, elements);
            case F16 -> new F16Tensor(data, elements);
            case BF16 -> new BF16Tensor(data, elements);
            case Q8_0 -> new Q8_0Tensor(data, elements);
            case Q4_0 -> new Q4_0Tensor(data, elements);
            case Q4_K -> new Q4_KTensor(data, elements);
            case Q5_K -> new Q5_KTensor(data, elements);
            case Q6_K -> new Q6_KTensor(data, elements);
            default -> throw new RsdException("tensor type " + type + " is not supported (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q5_K, Q6_K)");
        };
    }

    public abstract GgmlType type();

    public long size() {
        return size;
    }

    /** The stored bytes. */
    public MemorySegment data() {
        return data;
    }

    /** One element (slow; for tests and tools). */
    public abstract float get(long index);

    /** out[off..off+n) = elements [from, from+n); from and n are multiples of the block size. */
    public abstract void dequantize(long from, float[] out, int off, int n);

    /** Decoded rows for {@link #dot}, per thread. */
    private static final ThreadLocal<float[][]> DOT_ROW = ThreadLocal.withInitial(() -> new float[1][0]);

    /**
     * sum_k this[from+k] * x[k] for k < n, in the canonical order of {@link Kernels#dot}: the same bits as
     * the matching element of {@link #matmul}. from and n are multiples of the block size.
     */
    public final float dot(long from, float[] x, int n) {
        float[][] holder = DOT_ROW.get();
        if (holder[0].length < n) {
            holder[0] = new float[n];
        }
        float[] row = holder[0];
        dequantize(from, row, 0, n);
        return Kernels.dot(row, 0, x, 0, n);
    }

    /** Dequantizes the whole tensor (tests, small vectors such as norms). */
    public float[] toFloatArray() {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("tensor too large for one array: " + size);
        }
        float[] out = new float[(int) size];
        dequantize(0, out, 0, (int) size);
        return out;
    }

    /** Floats of {@link #matmul}'s scratch for rows of {@code cols} elements: one panel of rows and its lane sums. */
    public static int scratchFloats(int cols) {
        return Math.addExact(Math.multiplyExact(Kernels.PANEL_ROWS, cols), Kernels.PANEL_ROWS * Kernels.L);
    }

    /**
     * out[t][outOff + r] = row r of this matrix . x[t], for rows r0 <= r < r1 and t < T, each element in the
     * canonical order of {@link Kernels#dot}, so that it does not depend on T or on the rows computed
     * beside it. Panels of four rows are decoded once into {@code scratch} (at least
     * {@link #scratchFloats}(cols) floats) and multiplied with every activation row while they sit in cache:
     * a forward over T tokens reads each weight from memory once.
     */
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        for (int r = r0; r < r1; r += Kernels.PANEL_ROWS) {
            int rows = Math.min(Kernels.PANEL_ROWS, r1 - r);
            dequantize((long) r * cols, scratch, 0, rows * cols);
            Kernels.panel(scratch, cols, rows, x, T, out, outOff + r);
        }
    }

    @Override
    public String toString() {
        return type() + "[" + size + "]";
    }
}
