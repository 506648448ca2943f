package rsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import rsd.error.RsdException;

class EmbeddedModelsTest {
    @TempDir
    Path dir;

    @Test
    void aModelInAJarIsCopiedOnceUnderItsChecksum() throws Exception {
        Path source = Files.write(dir.resolve("in.gguf"), new byte[] {1, 2, 3, 4});
        Path cache = dir.resolve("cache");
        Path first = EmbeddedModels.extract(source.toUri().toURL(), "rsd-code.gguf", cache);
        long modified = Files.getLastModifiedTime(first).toMillis();
        Path again = EmbeddedModels.extract(source.toUri().toURL(), "rsd-code.gguf", cache);
        assertThat(again).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(again).toMillis()).isEqualTo(modified);
        assertThat(Files.readAllBytes(first)).containsExactly(1, 2, 3, 4);
        // sha-256 of 01 02 03 04, first 8 bytes
        assertThat(first.getFileName().toString()).isEqualTo("rsd-code-9f64a747e1b97f13.gguf");
        try (var files = Files.list(cache)) {
            assertThat(files).containsExactly(first); // no partial copies left behind
        }

        Files.write(source, new byte[] {5});
        Path other = EmbeddedModels.extract(source.toUri().toURL(), "rsd-code.gguf", cache);
        assertThat(other).isNotEqualTo(first);
        assertThat(Files.readAllBytes(first)).containsExactly(1, 2, 3, 4);
    }

    @Test
    void pathsOtherThanTheDefaultsAreLeftAlone() {
        Path missing = dir.resolve("mine.gguf");
        assertThat(EmbeddedModels.resolve(missing)).isEqualTo(missing);
        assertThatThrownBy(() -> SpeculativeDecoding.builder().model(missing).build())
                .isInstanceOf(RsdException.class).hasMessage("model file " + missing + " not found");
    }

    @Test
    void anUnwritableCacheIsOneClearError() throws Exception {
        Path source = Files.write(dir.resolve("in.gguf"), new byte[] {1});
        Path notADir = Files.write(dir.resolve("file"), new byte[0]);
        assertThatThrownBy(() -> EmbeddedModels.extract(source.toUri().toURL(), "rsd-code.gguf", notADir.resolve("models")))
                .isInstanceOf(RsdException.class).hasMessageContaining("cannot copy the embedded model rsd-code.gguf");
    }
}
