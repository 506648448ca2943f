package rsd.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import rsd.error.RsdException;

/**
 * A file may declare any context length; a session of that many positions must be refused with one
 * clear message when its KV cache cannot be held, never allocated short or left to an OutOfMemoryError.
 */
class SessionSizeTest {
    @TempDir
    Path dir;

    private static final int HUGE_CONTEXT = 1 << 25;

    @Test
    void aCachePastTheLargestJavaArrayIsRefusedNotTruncated() {
        // kvDim 256: one layer's keys are 2^25 * 256 = 2^33 floats, which an int cast turns into 0.
        RandomLlama.Spec spec = TestModels.tiny().withShape(256, 1, 4, 4, 256, 384);
        Path f = TestModels.writeRandomLlama(dir, spec, Map.of("llama.context_length", HUGE_CONTEXT));
        try (LlamaModel m = LlamaModel.load(f, 1, 0)) {
            assertThat(m.contextLength()).isEqualTo(HUGE_CONTEXT);
            assertThatThrownBy(() -> m.newSession(m.contextLength())).isInstanceOf(RsdException.class)
                    .hasMessageContaining("33,554,432 positions").hasMessageContaining("--ctx");
        }
    }

    @Test
    void aKvRowPastTwoToTheThirtyOneIsRefusedNotWrapped() {
        // 4 KV heads of 2^30 + 2 floats: 2^32 + 8 floats per position, which int arithmetic makes 8.
        int headDim = (1 << 30) + 2;
        Path f = TestModels.writeRandomLlama(dir, TestModels.tiny().withShape(64, 1, 4, 4, 128, 384),
                Map.of("llama.attention.key_length", headDim, "llama.rope.dimension_count", headDim));
        assertThatThrownBy(() -> LlamaModel.load(f, 1, 0)).isInstanceOf(RsdException.class).hasMessageStartingWith(f.toString())
                .hasMessageContaining("4 heads of 1073741826 floats").hasMessageContaining("4294967304 floats");
    }

    @Test
    void aCacheBiggerThanTheHeapIsRefusedWithWhatItNeedsAndWhatWouldFit() {
        // The tiny shape (2 layers, kvDim 32) at 2^25 positions: 2 * 2 * 2^30 floats, 16 GiB of cache,
        // each array still within Java's limit.
        Path f = TestModels.writeRandomLlama(dir, TestModels.tiny(), Map.of("llama.context_length", HUGE_CONTEXT));
        long heap = Runtime.getRuntime().maxMemory();
        assertThat(heap).as("this test assumes a heap under 16 GiB").isLessThan(16L << 30);
        try (LlamaModel m = LlamaModel.load(f, 1, 0)) {
            RsdException e = assertThrows(RsdException.class, () -> m.newSession(m.contextLength()));
            assertThat(e.getMessage()).matches("(?s).*33,554,432 positions needs 16\\.\\d GiB.*").contains("the JVM has");
            // and the context it names passes the same check
            Matcher fit = Pattern.compile("--ctx (\\d+) or less would fit").matcher(e.getMessage());
            assertThat(fit.find()).as(e.getMessage()).isTrue();
            int ctx = Integer.parseInt(fit.group(1));
            assertThat(ctx).isGreaterThan(1024).isLessThan(HUGE_CONTEXT);
            // (checked, not allocated: about 5 GiB would take the suite seconds to zero)
            assertThatCode(() -> m.requireMemory(1, ctx)).doesNotThrowAnyException();
        }
    }
}
