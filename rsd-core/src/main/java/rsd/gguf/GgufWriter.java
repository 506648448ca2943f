package rsd.gguf;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Streams a GGUF version 3 file: declare metadata and tensors first, then write each tensor's bytes in
 * declaration order. Memory use stays small whatever the model size, because the header only needs
 * the tensor shapes (offsets follow from them) and the data is written as it is produced.
 *
 * <pre>
 * try (GgufWriter w = GgufWriter.create(path)) {
 *     w.put("general.architecture", "llama");
 *     w.putUInt32("llama.block_count", 2);
 *     w.addTensor("token_embd.weight", GgmlType.F32, dim, vocab);
 *     w.writeTensorData(bytes);          // exactly the tensor's byteSize, possibly in several calls
 * }
 * </pre>
 * Value types when not given explicitly: String, Boolean, Integer → INT32, Long → INT64, Float → FLOAT32,
 * Double → FLOAT64, List → ARRAY with the element type of its first element (INT32 when empty).
 */
public final class GgufWriter implements AutoCloseable {
    private record Entry(GgufValueType type, GgufValueType elemType, Object value) {
    }

    private final Path path;
    private final OutputStream out;
    private final Map<String, Entry> metadata = new LinkedHashMap<>();
    private final List<GgufTensorInfo> tensors = new ArrayList<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;
    private long nextOffset;
    private boolean headerWritten;
    private int current;          // index of the tensor being written
    private long currentWritten;  // bytes of it written so far
    private long position;        // bytes written to the file
    private boolean closed;

    private GgufWriter(Path path, OutputStream out) {
        this.path = path;
        this.out = out;
    }

    public static GgufWriter create(Path path) {
        try {
            return new GgufWriter(path, new BufferedOutputStream(Files.newOutputStream(path), 1 << 20));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + path, e);
        }
    }

    /** Sets general.alignment (a power of two); must be called before tensors are added. */
    public GgufWriter alignment(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1 || !tensors.isEmpty()) {
            throw new IllegalArgumentException("alignment must be a power of two set before adding tensors: " + alignment);
        }
        this.alignment = alignment;
        metadata.put("general.alignment", new Entry(GgufValueType.UINT32, null, (long) alignment));
        return this;
    }

    public GgufWriter put(String key, Object value) {
        GgufValueType t = inferType(value);
        if (t == GgufValueType.ARRAY) {
            List<?> l = (List<?>) value;
            return putArray(key, l.isEmpty() ? GgufValueType.INT32 : inferType(l.get(0)), l);
        }
        return put(key, t, value);
    }

    /** A scalar value with an explicit type (numbers are converted; range is the caller's business). */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        checkOpen();
        if (type == GgufValueType.ARRAY) {
            throw new IllegalArgumentException("use putArray for arrays");
        }
        if ("general.alignment".equals(key)) {
            alignment(((Number) value).intValue());
            return this;
        }
        metadata.put(key, new Entry(type, null, value));
        return this;
    }

    public GgufWriter putUInt32(String key, long value) {
        return put(key, GgufValueType.UINT32, value);
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValueType.FLOAT32, value);
    }

    public GgufWriter putArray(String key, GgufValueType elemType, List<?> values) {
        checkOpen();
        metadata.put(key, new Entry(GgufValueType.ARRAY, elemType, List.copyOf(values)));
        return this;
    }

    /** Copies every metadata entry of {@code source} with its original types (general.alignment included). */
    public GgufWriter putAll(GgufFile source) {
        for (Map.Entry<String, Object> e : source.metadata().entrySet()) {
            GgufValueType t = source.valueType(e.getKey());
            if (t == GgufValueType.ARRAY) {
                putArray(e.getKey(), source.arrayElementType(e.getKey()), (List<?>) e.getValue());
            } else {
                put(e.getKey(), t, e.getValue());
            }
        }
        return this;
    }

    /** Declares a tensor; dims in ggml order (row length first). */
    public GgufWriter addTensor(String name, GgmlType type, long... dims) {
        checkOpen();
        if (headerWritten) {
            throw new IllegalStateException("tensors must be declared before data is written");
        }
        GgufTensorInfo t = new GgufTensorInfo(name, type, dims, nextOffset);
        nextOffset = GgufFile.alignUp(nextOffset + t.byteSize(), alignment);
        tensors.add(t);
        return this;
    }

    /** Appends bytes to the current tensor (the header is written on the first call). */
    public void writeTensorData(byte[] data, int off, int len) {
        startData();
        try {
            while (len > 0) {
                if (current >= tensors.size()) {
                    throw new IllegalStateException("more tensor data written than declared");
                }
                GgufTensorInfo t = tensors.get(current);
                int n = (int) Math.min(len, t.byteSize() - currentWritten);
                out.write(data, off, n);
                position += n;
                off += n;
                len -= n;
                currentWritten += n;
                if (currentWritten == t.byteSize()) {
                    finishTensor();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    public void writeTensorData(byte[] data) {
        writeTensorData(data, 0, data.length);
    }

    public void writeTensorData(MemorySegment data) {
        byte[] chunk = new byte[1 << 20];
        for (long off = 0; off < data.byteSize(); off += chunk.length) {
            int n = (int) Math.min(chunk.length, data.byteSize() - off);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, off, chunk, 0, n);
            writeTensorData(chunk, 0, n);
        }
    }

    private void finishTensor() throws IOException {
        current++;
        currentWritten = 0;
        if (current < tensors.size()) {
            pad();
        }
    }

    private void pad() throws IOException {
        long target = GgufFile.alignUp(position, alignment);
        while (position < target) {
            out.write(0);
            position++;
        }
    }

    private void startData() {
        checkOpen();
        if (headerWritten) {
            return;
        }
        headerWritten = true;
        try {
            writeHeader();
            if (!tensors.isEmpty()) {
                pad();
            }
            // Zero-byte tensors are complete at once.
            while (current < tensors.size() && tensors.get(current).byteSize() == 0) {
                finishTensor();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
    }

    private void writeHeader() throws IOException {
        i32(GgufFile.MAGIC);
        i32(3);
        i64(tensors.size());
        i64(metadata.size());
        for (Map.Entry<String, Entry> e : metadata.entrySet()) {
            string(e.getKey());
            Entry v = e.getValue();
            i32(v.type.id);
            if (v.type == GgufValueType.ARRAY) {
                List<?> l = (List<?>) v.value;
                i32(v.elemType.id);
                i64(l.size());
                for (Object o : l) {
                    value(v.elemType, o);
                }
            } else {
                value(v.type, v.value);
            }
        }
        for (GgufTensorInfo t : tensors) {
            string(t.name());
            i32(t.rank());
            for (long d : t.dims()) {
                i64(d);
            }
            i32(t.type().id);
            i64(t.offset());
        }
    }

    private void value(GgufValueType type, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8 -> byte1(((Number) v).intValue());
            case UINT16, INT16 -> { byte1(((Number) v).intValue()); byte1(((Number) v).intValue() >> 8); }
            case UINT32, INT32 -> i32(((Number) v).intValue());
            case FLOAT32 -> i32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case BOOL -> byte1((Boolean) v ? 1 : 0);
            case STRING -> string((String) v);
            case UINT64, INT64 -> i64(((Number) v).longValue());
            case FLOAT64 -> i64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case ARRAY -> throw new IllegalArgumentException("nested arrays are not written");
        }
    }

    private static GgufValueType inferType(Object v) {
        if (v instanceof String) return GgufValueType.STRING;
        if (v instanceof Boolean) return GgufValueType.BOOL;
        if (v instanceof Integer) return GgufValueType.INT32;
        if (v instanceof Long) return GgufValueType.INT64;
        if (v instanceof Float) return GgufValueType.FLOAT32;
        if (v instanceof Double) return GgufValueType.FLOAT64;
        if (v instanceof List<?>) return GgufValueType.ARRAY;
        throw new IllegalArgumentException("unsupported metadata value " + v + " (" + (v == null ? "null" : v.getClass()) + ")");
    }

    private void byte1(int b) throws IOException {
        out.write(b);
        position++;
    }

    private void i32(int v) throws IOException {
        for (int i = 0; i < 4; i++) {
            byte1(v >>> (8 * i));
        }
    }

    private void i64(long v) throws IOException {
        for (int i = 0; i < 8; i++) {
            byte1((int) (v >>> (8 * i)));
        }
    }

    private void string(String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        i64(b.length);
        out.write(b);
        position += b.length;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("writer closed");
        }
    }

    /** Writes the header if no data was written, then checks that every declared tensor was completed. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            startData();
            closed = true;
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + path, e);
        }
        if (current < tensors.size()) {
            throw new IllegalStateException(path + ": only " + current + " of " + tensors.size() + " tensors were written");
        }
    }
}
