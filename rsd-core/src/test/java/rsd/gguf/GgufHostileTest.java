package rsd.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import rsd.error.RsdException;

/** Files built to break the reader's arithmetic: every one must be refused with a message naming the file. */
class GgufHostileTest {
    @TempDir
    Path dir;

    /** Bytes this thread allocates while opening f and reading its metadata's size. */
    private static long heapBytesToOpen(Path f) {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadAllocatedBytes();
        try (GgufFile g = GgufFile.open(f)) {
            assertThat(g.metadata()).hasSize(1);
        }
        return threads.getCurrentThreadAllocatedBytes() - before;
    }

    @Test
    void aHugeNumberArrayTakesNoMoreHeapThanItsBytes() throws IOException {
        int n = 16 << 20;
        byte[] file = RawGguf.header(0, 1).string("big").u32(GgufValueType.ARRAY.id).u32(GgufValueType.UINT8.id).u64(n)
                .put(new byte[n]).bytes();
        file[file.length - 1] = (byte) 200;
        Path f = Files.write(dir.resolve("u8.gguf"), file);
        // one boxed value and one reference per element would be about 20 bytes of heap per byte of file
        assertThat(heapBytesToOpen(f)).isLessThan(2L * n);
        try (GgufFile g = GgufFile.open(f)) {
            List<?> big = g.getList("big");
            assertThat(big).hasSize(n);
            assertThat(big.get(0)).isEqualTo(0);
            assertThat(big.get(n - 1)).isEqualTo(200);
        }
    }

    @Test
    void aHugeStringArrayTakesNoMoreHeapThanTwiceItsBytes() throws IOException {
        int n = 2 << 20;
        RawGguf raw = RawGguf.header(0, 1).string("big").u32(GgufValueType.ARRAY.id).u32(GgufValueType.STRING.id).u64(n);
        for (int i = 0; i < n; i++) {
            raw.string(i == n - 1 ? "last" : "");
        }
        byte[] file = raw.bytes();
        Path f = Files.write(dir.resolve("strings.gguf"), file);
        assertThat(heapBytesToOpen(f)).isLessThan(2L * file.length);
        try (GgufFile g = GgufFile.open(f)) {
            List<?> big = g.getList("big");
            assertThat(big).hasSize(n);
            assertThat(big.get(0)).isEqualTo("");
            assertThat(big.get(n - 1)).isEqualTo("last");
        }
    }

    @Test
    void tensorWhoseEndWrapsPastTwoToTheSixtyFourIsRefused() throws IOException {
        // 7^2 * 73 * 127 * 337 * 92737 * 649657 = 2^63 - 1: an I8 tensor of Long.MAX_VALUE bytes. With an
        // offset just under 2^63, dataOffset + offset + size wraps to a small positive number that a plain
        // "end <= file size" check accepts.
        byte[] file = RawGguf.header(1, 0)
                .tensor("t", GgmlType.I8, Long.MAX_VALUE & ~31L, 3577, 42799, 92737, 649657)
                .padThen(32, 256).bytes();
        Path f = Files.write(dir.resolve("wrap.gguf"), file);
        assertThatThrownBy(() -> GgufFile.open(f)).isInstanceOf(RsdException.class)
                .hasMessageStartingWith(f.toString()).hasMessageContaining("tensor 't'").hasMessageContaining("past the end of the file");
    }
}
