package rsd.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MinePatternsCommandTest {
    private static String stderrOf(String... args) {
        PrintStream old = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertThat(Main.run(args)).isEqualTo(2);
        } finally {
            System.setErr(old);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void missingModelIsOneClearLine(@TempDir Path dir) {
        String err = stderrOf("mine-patterns", "--model", dir.resolve("none.gguf").toString(),
                "--corpus", dir.toString(), "--out", dir.resolve("p.tsv.gz").toString());
        assertThat(err.strip()).startsWith("rsd: model file").contains("none.gguf").doesNotContain("\n");
    }

    @Test
    void needsACorpus(@TempDir Path dir) {
        String err = stderrOf("mine-patterns", "--model", "m.gguf", "--out", dir.resolve("p.tsv.gz").toString());
        assertThat(err).contains("--corpus");
    }
}
