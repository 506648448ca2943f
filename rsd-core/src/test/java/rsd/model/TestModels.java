package rsd.model;

import java.nio.file.Path;
import java.util.Map;

/**
 * Small real Llama GGUF files with random weights for tests of any package.
 *
 * <pre>
 * Path file = TestModels.writeRandomLlama(tempDir, TestModels.tiny(), Map.of());
 * try (LlamaModel m = LlamaModel.load(file, 1, 0)) { ... }
 * </pre>
 * The files carry a byte-level vocabulary: ids 0..255 are the bytes (GPT-2 byte-to-unicode form),
 * {@link RandomLlama#BOS} = 256, {@link RandomLlama#EOS} = 257, the rest {@code <|reserved_N|>}.
 * {@code extraMetadata} entries are added (or override) with types inferred as in
 * {@link rsd.gguf.GgufWriter#put(String, Object)}.
 */
public final class TestModels {
    private TestModels() {
    }

    /** dim 64, 2 layers, 4 heads / 2 KV heads (GQA), FFN 128, vocabulary 384, F32, untied, no rope_freqs. */
    public static RandomLlama.Spec tiny() {
        return RandomLlama.Spec.tiny();
    }

    /** Writes the model into dir (name derived from the spec) and returns its path. */
    public static Path writeRandomLlama(Path dir, RandomLlama.Spec spec, Map<String, Object> extraMetadata) {
        Path file = dir.resolve("random-llama-" + Integer.toHexString(spec.hashCode() * 31 + extraMetadata.hashCode()) + ".gguf");
        RandomLlama.write(file, spec, extraMetadata, null);
        return file;
    }

    /** Writes and loads a tiny model on one thread. */
    public static LlamaModel loadTiny(Path dir) {
        return LlamaModel.load(writeRandomLlama(dir, tiny(), Map.of()), 1, 0);
    }
}
