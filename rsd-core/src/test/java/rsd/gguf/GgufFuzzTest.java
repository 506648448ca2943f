package rsd.gguf;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import rsd.error.RsdException;

/** Damaged files must give a clean RsdException (or load), never another exception, a hang or a crash. */
class GgufFuzzTest {
    private static Path dir;
    private static byte[] valid;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("gguf-fuzz");
        valid = Files.readAllBytes(GgufFileTest.writeSample(dir.resolve("valid.gguf"), 32));
    }

    @AfterContainer
    static void tearDown() throws IOException {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static void openDamaged(byte[] bytes) {
        Path f = dir.resolve("damaged.gguf");
        try {
            Files.write(f, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (GgufFile g = GgufFile.open(f)) {
            // When it loads, every tensor slice must lie inside the file.
            for (GgufTensorInfo t : g.tensors()) {
                g.data(t).byteSize();
            }
            g.metadata().size();
        } catch (RsdException expected) {
            if (!expected.getMessage().startsWith(f.toString())) {
                throw new AssertionError("message does not name the file: " + expected.getMessage());
            }
        }
    }

    @Property(tries = 300)
    void truncations(@ForAll @IntRange(min = 0, max = 10_000) int cut) {
        openDamaged(Arrays.copyOf(valid, cut % (valid.length + 1)));
    }

    @Property(tries = 500)
    void byteFlips(@ForAll("flips") List<int[]> flips) {
        byte[] b = valid.clone();
        for (int[] f : flips) {
            b[f[0] % b.length] = (byte) f[1];
        }
        openDamaged(b);
    }

    @Property(tries = 200)
    void headerFlips(@ForAll @Size(min = 1, max = 4) List<@IntRange(min = 0, max = 255) Integer> values,
            @ForAll @IntRange(min = 0, max = 300) int at) {
        byte[] b = valid.clone();
        for (int i = 0; i < values.size(); i++) {
            b[(at + i) % b.length] = values.get(i).byteValue();
        }
        openDamaged(b);
    }

    @Provide
    Arbitrary<List<int[]>> flips() {
        Arbitrary<int[]> one = Arbitraries.integers().between(0, Integer.MAX_VALUE)
                .flatMap(pos -> Arbitraries.integers().between(0, 255).map(v -> new int[] {pos, v}));
        return one.list().ofMinSize(1).ofMaxSize(8);
    }
}
