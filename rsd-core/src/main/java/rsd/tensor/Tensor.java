package rsd.tensor;


import java.lang.foreign.MemorySegment;
import rsd.error.RsdException;
import rsd.gguf.GgmlType;

/**
 * A flat array of weights in one ggml storage type, usually a slice of a memory-mapped GGUF file. Rows of
 * a matrix are contiguous runs of {@code cols} elements. Each type implements dequantization and a fused
 * dot product; the weight-stationary {@link #matmul} is shared: a row is dequantized once and multiplied
 * with every activation row, so a forward over T tokens reads each weight from memory once.
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

    /** sum_k this[from+k] * x[k] for k < n; from and n are multiples of the block size. */
    public abstract float dot(long from, float[] x, int n);

    /** Dequantizes the whole tensor (tests, small vectors such as norms). */
    public float[] toFloatArray() {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalStateException("tensor too large for one array: " + size);
        }
        float[] out = new float[(int) size];
        dequantize(0, out, 0, (int) size);
        return out;
    }

    /**
     * out[t][outOff + r] = row r of this matrix . x[t], for rows r0 <= r < r1 and t < T. {@code scratch}
     * holds at least {@code cols} floats; it receives each dequantized row so that the T dot products
     * read weights decoded once. T = 1 uses the fused dot and skips the scratch.
     */
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        for (int r = r0; r < r1; r++) {
            long base = (long) r * cols;
            if (T == 1) {
                out[0][outOff + r] = dot(base, x[0], cols);
                continue;
            }
            dequantize(base, scratch, 0, cols);
            if (Kernels.VECTOR && cols % Kernels.L == 0) {
                Kernels.dots(scratch, x, T, cols, out, outOff + r);
            } else {
                for (int t = 0; t < T; t++) {
                    out[t][outOff + r] = Kernels.dot(scratch, 0, x[t], 0, cols);
                }
            }
        }
    }

    /** A dot product through {@code buf}: one decoded block at a time (types without a fused kernel here). */
    protected final float dotThroughBlocks(long from, float[] x, int n, float[] buf) {
        int block = buf.length;
        float sum = 0;
        for (int k = 0; k < n; k += block) {
            dequantize(from + k, buf, 0, block);
            sum += Kernels.dot(buf, 0, x, k, block);
        }
        return sum;
    }

    /** Activation rows t0..T-1 of {@link #matmul} for weight rows r0..r1, through the scratch row (used by fused kernels for their remainders). */
    protected void matmulTail(float[][] x, int t0, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        for (int r = r0; r < r1; r++) {
            if (T - t0 == 1) {
                out[t0][outOff + r] = dot((long) r * cols, x[t0], cols);
                continue;
            }
            dequantize((long) r * cols, scratch, 0, cols);
            for (int t = t0; t < T; t++) {
                out[t][outOff + r] = Kernels.dot(scratch, 0, x[t], 0, cols);
            }
        }
    }

    @Override
    public String toString() {
        return type() + "[" + size + "]";
    }
}
