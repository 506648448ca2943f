package rsd.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import rsd.error.RsdException;

/**
 * Coverage-guided fuzzing of the GGUF reader (Jazzer), beside the random damage of {@link GgufFuzzTest}:
 * any bytes either load, with every value and tensor slice readable, or fail with an RsdException that
 * names the file. Anything else is a finding: another exception type, an Error (OutOfMemoryError
 * included), an allocation out of proportion to the file (measured on a second read of the same bytes), or a slow read.
 *
 * <p>The normal test run replays the seed corpus in {@code GgufCoverageFuzzTestInputs/open/} (resources);
 * {@code JAZZER_FUZZ=1} fuzzes instead (docs/testing.md).
 */
class GgufCoverageFuzzTest {
    /**
     * What reading a header may allocate: a generous multiple of the file plus a constant. A reader that
     * believes a count in the file allocates up to gigabytes, far beyond this.
     */
    private static final long ALLOCATION_PER_BYTE = 64;
    private static final long ALLOCATION_BASE = 4 << 20;
    /** Far above any real parse of a small input, far below a hang: catches loops over claimed counts. */
    private static final long MAX_NANOS = 5_000_000_000L;

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static Path dir;
    private static Path file;

    @BeforeAll
    static void makeDir() throws IOException {
        dir = Files.createTempDirectory("gguf-jazzer");
        file = dir.resolve("input.gguf");
    }

    @AfterAll
    static void removeDir() throws IOException {
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    @FuzzTest(maxDuration = "60s")
    void open(byte[] input) {
        try {
            Files.write(file, input);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // The first read pays once for what a new code path loads (classes, their instrumentation when
        // fuzzing, string concatenation bootstraps: tens of MB); the second shows what reading costs.
        long nanos = timedRead();
        long allocatedBefore = THREADS.getCurrentThreadAllocatedBytes();
        nanos = Math.max(nanos, timedRead());
        long allocated = THREADS.getCurrentThreadAllocatedBytes() - allocatedBefore;
        if (allocated > ALLOCATION_BASE + ALLOCATION_PER_BYTE * input.length) {
            throw new AssertionError("reading " + input.length + " bytes allocated " + allocated + " bytes");
        }
        if (nanos > MAX_NANOS) {
            throw new AssertionError("reading " + input.length + " bytes took " + nanos / 1_000_000 + " ms");
        }
    }

    private static long timedRead() {
        long start = System.nanoTime();
        try (GgufFile g = GgufFile.open(file)) {
            readEverything(g);
        } catch (RsdException expected) {
            if (!expected.getMessage().startsWith(file.toString())) {
                throw new AssertionError("the message does not name the file: " + expected.getMessage());
            }
        }
        return System.nanoTime() - start;
    }

    /** What a model loader touches: every value with its declared type, every tensor's bytes. */
    private static void readEverything(GgufFile g) {
        for (Map.Entry<String, Object> e : g.metadata().entrySet()) {
            g.valueType(e.getKey());
            g.arrayElementType(e.getKey());
            touch(e.getValue());
        }
        for (GgufTensorInfo t : g.tensors()) {
            long size = g.data(t).byteSize();
            if (size != t.byteSize() || Math.addExact(Math.addExact(g.dataOffset(), t.offset()), size) > g.fileSize()) {
                throw new AssertionError(t + " does not lie inside the file");
            }
            if (g.tensor(t.name()) == null) {
                throw new AssertionError(t + " is listed but cannot be looked up");
            }
        }
    }

    private static void touch(Object value) {
        if (value instanceof List<?> list) {
            for (Object element : list) {
                touch(element);
            }
        } else {
            String.valueOf(value);
        }
    }
}
