package rsd.gguf;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes GGUF bytes field by field, with no checks at all, so that tests can build files that no honest
 * writer would: sizes and offsets near 2^63, counts larger than the file.
 */
final class RawGguf {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static RawGguf header(long tensors, long kvs) {
        return new RawGguf().u32(GgufFile.MAGIC).u32(3).u64(tensors).u64(kvs);
    }

    RawGguf u32(long v) {
        return put(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) v).array());
    }

    RawGguf u64(long v) {
        return put(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
    }

    RawGguf string(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return u64(b.length).put(b);
    }

    /** A tensor header entry: name, rank, dims, type id, offset. */
    RawGguf tensor(String name, GgmlType type, long offset, long... dims) {
        string(name).u32(dims.length);
        for (long d : dims) {
            u64(d);
        }
        return u32(type.id).u64(offset);
    }

    RawGguf put(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** Zero bytes up to a multiple of alignment, then n more. */
    RawGguf padThen(int alignment, int n) {
        while (out.size() % alignment != 0) {
            out.write(0);
        }
        return put(new byte[n]);
    }

    byte[] bytes() {
        return out.toByteArray();
    }
}
