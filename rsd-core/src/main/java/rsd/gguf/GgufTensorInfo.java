package rsd.gguf;

import java.util.Arrays;

/**
 * One tensor's header entry. {@code dims} are in ggml order: dims[0] is the fastest-varying (row length),
 * so a matrix with R rows of C columns has dims {C, R}. {@code offset} is relative to the data section.
 */
public record GgufTensorInfo(String name, GgmlType type, long[] dims, long offset) {
    public GgufTensorInfo {
        dims = dims.clone();
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    /** dims[i], or 1 past the last dimension. */
    public long dim(int i) {
        return i < dims.length ? dims[i] : 1;
    }

    public int rank() {
        return dims.length;
    }

    public long elementCount() {
        long n = 1;
        for (long d : dims) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    public long byteSize() {
        return type.bytesFor(elementCount());
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims) + " @" + offset;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && t.name.equals(name) && t.type == type && Arrays.equals(t.dims, dims) && t.offset == offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dims);
    }
}
