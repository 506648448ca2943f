package rsd.gguf;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * A metadata array of numbers, booleans or strings, held as its bytes from the file and decoded element by
 * element on {@link #get}. A list of boxed values takes about 20 bytes of heap per byte of file (a 100 MB
 * array would need 2 GB); this takes the bytes themselves, plus 4 per string. Immutable, and independent
 * of the mapping, so it outlives {@link GgufFile#close()}.
 */
final class GgufArray extends AbstractList<Object> implements RandomAccess {
    private static final VarHandle I16 = MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I32 = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle I64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final GgufValueType type;
    private final byte[] bytes;
    private final int size;
    /** Strings only: where each element's 8-byte length starts in bytes; one more entry for the end. */
    private final int[] starts;

    /** A fixed-width array: size elements of type.minBytes each. */
    GgufArray(GgufValueType type, byte[] bytes, int size) {
        this.type = type;
        this.bytes = bytes;
        this.size = size;
        this.starts = null;
    }

    /** A string array; starts has size + 1 entries, already checked against bytes by the reader. */
    GgufArray(byte[] bytes, int[] starts) {
        this.type = GgufValueType.STRING;
        this.bytes = bytes;
        this.size = starts.length - 1;
        this.starts = starts;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public Object get(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index " + i + " of " + size);
        }
        return switch (type) {
            case UINT8 -> Byte.toUnsignedInt(bytes[i]);
            case INT8 -> (int) bytes[i];
            case UINT16 -> Short.toUnsignedInt((short) I16.get(bytes, 2 * i));
            case INT16 -> (int) (short) I16.get(bytes, 2 * i);
            case UINT32 -> Integer.toUnsignedLong((int) I32.get(bytes, 4 * i));
            case INT32 -> (int) I32.get(bytes, 4 * i);
            case FLOAT32 -> Float.intBitsToFloat((int) I32.get(bytes, 4 * i));
            case BOOL -> bytes[i] == 1;
            case UINT64, INT64 -> (long) I64.get(bytes, 8 * i);
            case FLOAT64 -> Double.longBitsToDouble((long) I64.get(bytes, 8 * i));
            case STRING -> new String(bytes, starts[i] + 8, starts[i + 1] - starts[i] - 8, StandardCharsets.UTF_8);
            case ARRAY -> throw new AssertionError("nested arrays are read as lists");
        };
    }
}
