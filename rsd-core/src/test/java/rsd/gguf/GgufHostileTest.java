package rsd.gguf;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import rsd.error.RsdException;

/** Files built to break the reader's arithmetic: every one must be refused with a message naming the file. */
class GgufHostileTest {
    @TempDir
    Path dir;

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
