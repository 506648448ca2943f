package rsd.gguf;


import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import rsd.error.RsdException;

/**
 * A GGUF file (versions 2 and 3) memory-mapped read-only through java.lang.foreign, so files larger than
 * 2 GB load without copying. Every read of the header is bounds-checked: a damaged file gives an
 * {@link RsdException} naming the file and the problem, never a read outside the mapping.
 *
 * <p>Metadata values: Integer (u8, i8, u16, i16, i32), Long (u32, i64, u64), Float, Double, Boolean,
 * String, and arrays as unmodifiable {@link List}s of those. Thread-safe for reading; {@link #close()}
 * unmaps the file, after which tensor segments must not be used.
 */
public final class GgufFile implements AutoCloseable {
    static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian int
    static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    private static final int MAX_ARRAY_NESTING = 8;

    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final Map<String, Object> metadata;
    private final Map<String, GgufValueType> valueTypes;
    private final Map<String, GgufValueType> arrayElementTypes;
    private final Map<String, GgufTensorInfo> tensors;
    private final int alignment;
    private final long dataOffset;

    private GgufFile(Path path, Arena arena, MemorySegment file) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        Cursor c = new Cursor();
        // The magic first, so that any other file is named as such rather than as a truncated GGUF.
        if (file.byteSize() >= 4 && file.get(U32, 0) != MAGIC) {
            throw bad("not a GGUF file (wrong magic 0x" + Integer.toHexString(file.get(U32, 0)) + ")");
        }
        if (file.byteSize() < 24) {
            throw bad("truncated file (" + file.byteSize() + " bytes, a GGUF header needs at least 24)");
        }
        c.i32();
        version = c.i32();
        if (version != 2 && version != 3) {
            throw bad("unsupported GGUF version " + Integer.toUnsignedString(version) + " (supported: 2, 3)");
        }
        long tensorCount = c.i64();
        long kvCount = c.i64();
        if (tensorCount < 0 || kvCount < 0) {
            throw bad("corrupt header (negative counts)");
        }
        Map<String, Object> md = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        Map<String, GgufValueType> elemTypes = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            String key = c.string("metadata key");
            GgufValueType type = c.valueType("metadata '" + key + "'");
            if (type == GgufValueType.ARRAY) {
                long at = c.pos;
                GgufValueType elem = c.valueType("array '" + key + "'");
                c.pos = at;
                elemTypes.put(key, elem);
            }
            Object value = c.value(type, key, 0);
            if (md.put(key, value) != null) {
                throw bad("duplicate metadata key '" + key + "'");
            }
            types.put(key, type);
        }
        metadata = Collections.unmodifiableMap(md);
        valueTypes = Collections.unmodifiableMap(types);
        arrayElementTypes = Collections.unmodifiableMap(elemTypes);

        Object a = md.get("general.alignment");
        if (a == null) {
            alignment = DEFAULT_ALIGNMENT;
        } else {
            if (!(a instanceof Number n) || n.longValue() <= 0 || n.longValue() > (1 << 30) || Long.bitCount(n.longValue()) != 1) {
                throw bad("general.alignment must be a power of two, got " + a);
            }
            alignment = (int) n.longValue();
        }

        Map<String, GgufTensorInfo> ts = new LinkedHashMap<>();
        for (long i = 0; i < tensorCount; i++) {
            String name = c.string("tensor name");
            int nDims = c.i32();
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw bad("tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions (1.." + MAX_DIMS + " allowed)");
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                dims[d] = c.i64();
                if (dims[d] <= 0 || dims[d] > (1L << 40)) {
                    throw bad("tensor '" + name + "' has invalid dimension " + Long.toUnsignedString(dims[d]));
                }
            }
            int typeId = c.i32();
            GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
            if (type == null) {
                throw bad("tensor '" + name + "' has unknown tensor type " + Integer.toUnsignedString(typeId));
            }
            long offset = c.i64();
            if (offset < 0 || offset % alignment != 0) {
                throw bad("tensor '" + name + "' has a misaligned or invalid data offset " + Long.toUnsignedString(offset));
            }
            if (dims[0] % type.blockSize != 0) {
                throw bad("tensor '" + name + "' row length " + dims[0] + " is not a multiple of the " + type + " block size " + type.blockSize);
            }
            GgufTensorInfo info;
            try {
                info = new GgufTensorInfo(name, type, dims, offset);
                info.byteSize();
            } catch (ArithmeticException e) {
                throw bad("tensor '" + name + "' is impossibly large");
            }
            if (ts.put(name, info) != null) {
                throw bad("duplicate tensor '" + name + "'");
            }
        }
        tensors = Collections.unmodifiableMap(ts);
        long start = c.pos;
        dataOffset = tensorCount == 0 ? Math.min(alignUp(start, alignment), file.byteSize()) : alignUp(start, alignment);
        for (GgufTensorInfo t : ts.values()) {
            // Offsets and sizes come from the file and may each be near 2^63: their plain sum can wrap
            // around to a small positive number, so the sum is exact or the tensor is refused.
            long end;
            try {
                end = Math.addExact(Math.addExact(dataOffset, t.offset()), t.byteSize());
            } catch (ArithmeticException e) {
                throw bad("tensor '" + t.name() + "' data (offset " + t.offset() + ", " + t.byteSize()
                        + " bytes) lies past the end of the file (" + file.byteSize() + " bytes)");
            }
            if (end > file.byteSize()) {
                throw bad("tensor '" + t.name() + "' data ends at byte " + end + ", past the end of the file (" + file.byteSize()
                        + " bytes; truncated file?)");
            }
        }
    }

    /** Opens and maps a GGUF file. Any problem (missing, unreadable, damaged) is an RsdException. */
    public static GgufFile open(Path path) {
        // Only a regular file is a model: opening a FIFO waits for a writer, a device never ends.
        if (Files.isDirectory(path)) {
            throw new RsdException(path + ": is a folder, not a GGUF file");
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new RsdException(path + ": not a regular file (a FIFO, device or socket?), so not a GGUF file");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0 ? MemorySegment.NULL.reinterpret(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            return new GgufFile(path, arena, seg);
        } catch (NoSuchFileException e) {
            arena.close();
            throw new RsdException(path + ": no such file");
        } catch (IOException e) {
            arena.close();
            throw new RsdException(path + ": cannot read (" + RsdException.reason(e) + ")");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    static long alignUp(long x, long alignment) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private RsdException bad(String problem) {
        return new RsdException(path + ": " + problem);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public int alignment() {
        return alignment;
    }

    /** File offset of the tensor data section. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return file.byteSize();
    }

    /** All metadata in file order (unmodifiable). */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The stored type of a metadata key, or null when absent. */
    public GgufValueType valueType(String key) {
        return valueTypes.get(key);
    }

    /** The element type of an array-valued key, or null when absent or not an array. */
    public GgufValueType arrayElementType(String key) {
        return arrayElementTypes.get(key);
    }

    /** Tensors in file order. */
    public List<GgufTensorInfo> tensors() {
        return List.copyOf(tensors.values());
    }

    /** The named tensor, or null when absent. */
    public GgufTensorInfo tensor(String name) {
        return tensors.get(name);
    }

    /** The tensor's bytes inside the mapping (read-only). */
    public MemorySegment data(GgufTensorInfo t) {
        return file.asSlice(dataOffset + t.offset(), t.byteSize());
    }

    // ---- typed metadata getters: wrong type is an RsdException naming the key ----

    public boolean has(String key) {
        return metadata.containsKey(key);
    }

    public String getString(String key, String fallback) {
        Object v = metadata.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(key, "a string", v);
    }

    /** Required string. */
    public String getString(String key) {
        String s = getString(key, null);
        if (s == null) {
            throw bad("missing metadata key '" + key + "'");
        }
        return s;
    }

    public long getLong(String key, long fallback) {
        Object v = metadata.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw wrongType(key, "an integer", v);
    }

    /** Required integer that fits an int. */
    public int getInt(String key) {
        if (!metadata.containsKey(key)) {
            throw bad("missing metadata key '" + key + "'");
        }
        return getInt(key, 0);
    }

    public int getInt(String key, int fallback) {
        long v = getLong(key, fallback);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw bad("metadata '" + key + "' = " + v + " is out of range");
        }
        return (int) v;
    }

    public double getDouble(String key, double fallback) {
        Object v = metadata.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        throw wrongType(key, "a number", v);
    }

    public boolean getBoolean(String key, boolean fallback) {
        Object v = metadata.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "a boolean", v);
    }

    /** An array value, or null when absent. */
    public List<?> getList(String key) {
        Object v = metadata.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof List<?> l) {
            return l;
        }
        throw wrongType(key, "an array", v);
    }

    private RsdException wrongType(String key, String expected, Object v) {
        return bad("metadata '" + key + "' should be " + expected + ", found " + v.getClass().getSimpleName());
    }

    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version + ", " + metadata.size() + " keys, " + tensors.size() + " tensors]";
    }

    /** Sequential bounds-checked reader over the header. */
    private final class Cursor {
        long pos;

        private void need(long n, String what) {
            if (n < 0 || pos + n > file.byteSize() || pos + n < 0) {
                throw bad("truncated file (" + what + " at byte " + pos + " needs " + Long.toUnsignedString(n) + " bytes, file has "
                        + file.byteSize() + ")");
            }
        }

        int i32() {
            need(4, "a 32-bit value");
            int v = file.get(U32, pos);
            pos += 4;
            return v;
        }

        long i64() {
            need(8, "a 64-bit value");
            long v = file.get(U64, pos);
            pos += 8;
            return v;
        }

        String string(String what) {
            long len = i64();
            need(len, what);
            if (len > Integer.MAX_VALUE - 16) {
                throw bad(what + " string is too long (" + len + " bytes)");
            }
            byte[] b = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
            pos += len;
            return new String(b, StandardCharsets.UTF_8);
        }

        /** n strings kept as their bytes: the lengths are checked one by one, then the run is copied once. */
        GgufArray strings(String key, int n) {
            long start = pos;
            int[] starts = new int[n + 1];
            String what = "metadata '" + key + "'"; // once, not a string per element
            for (int i = 0; i < n; i++) {
                long at = pos - start;
                if (at > Integer.MAX_VALUE - 16) {
                    throw bad("array '" + key + "' is too large (more than 2 GB of strings)");
                }
                starts[i] = (int) at;
                long len = i64();
                need(len, what);
                pos += len;
            }
            long total = pos - start;
            if (total > Integer.MAX_VALUE - 16) {
                throw bad("array '" + key + "' is too large (more than 2 GB of strings)");
            }
            starts[n] = (int) total;
            return new GgufArray(file.asSlice(start, total).toArray(ValueLayout.JAVA_BYTE), starts);
        }

        GgufValueType valueType(String what) {
            int id = i32();
            GgufValueType t = GgufValueType.byId(Integer.toUnsignedLong(id));
            if (t == null) {
                throw bad(what + " has unknown value type " + Integer.toUnsignedString(id));
            }
            return t;
        }

        Object value(GgufValueType type, String key, int depth) {
            switch (type) {
                case UINT8: need(1, key); return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, pos++));
                case INT8: need(1, key); return (int) file.get(ValueLayout.JAVA_BYTE, pos++);
                case UINT16: { need(2, key); int v = Short.toUnsignedInt(file.get(U16, pos)); pos += 2; return v; }
                case INT16: { need(2, key); int v = file.get(U16, pos); pos += 2; return v; }
                case UINT32: return Integer.toUnsignedLong(i32());
                case INT32: return i32();
                case FLOAT32: return Float.intBitsToFloat(i32());
                case BOOL: {
                    need(1, key);
                    byte b = file.get(ValueLayout.JAVA_BYTE, pos++);
                    if (b != 0 && b != 1) {
                        throw bad("metadata '" + key + "' has invalid boolean byte " + b);
                    }
                    return b == 1;
                }
                case STRING: return string("metadata '" + key + "'");
                case UINT64:
                case INT64: return i64();
                case FLOAT64: return Double.longBitsToDouble(i64());
                case ARRAY: {
                    if (depth >= MAX_ARRAY_NESTING) {
                        throw bad("metadata '" + key + "' nests arrays too deeply");
                    }
                    GgufValueType elem = valueType("array '" + key + "'");
                    long n = i64();
                    // Reject counts the remaining bytes cannot possibly hold before allocating anything.
                    if (n < 0 || n > (file.byteSize() - pos) / elem.minBytes || n > Integer.MAX_VALUE - 16) {
                        throw bad("truncated file (array '" + key + "' claims " + Long.toUnsignedString(n) + " elements)");
                    }
                    if (elem == GgufValueType.STRING) {
                        return strings(key, (int) n);
                    }
                    if (elem != GgufValueType.ARRAY) {
                        long bytes = n * elem.minBytes; // fits: n is at most the remaining bytes / minBytes
                        need(bytes, "array '" + key + "'");
                        if (bytes > Integer.MAX_VALUE - 16) {
                            throw bad("array '" + key + "' is too large (" + bytes + " bytes)");
                        }
                        byte[] b = file.asSlice(pos, bytes).toArray(ValueLayout.JAVA_BYTE);
                        if (elem == GgufValueType.BOOL) {
                            for (byte x : b) {
                                if (x != 0 && x != 1) {
                                    throw bad("metadata '" + key + "' has invalid boolean byte " + x);
                                }
                            }
                        }
                        pos += bytes;
                        return new GgufArray(elem, b, (int) n);
                    }
                    // Arrays of arrays are rare and small: a list of lists, each at least 12 bytes of file.
                    List<Object> list = new ArrayList<>((int) n);
                    for (long i = 0; i < n; i++) {
                        list.add(value(elem, key, depth + 1));
                    }
                    return Collections.unmodifiableList(list);
                }
                default: throw new AssertionError(type);
            }
        }
    }
}
