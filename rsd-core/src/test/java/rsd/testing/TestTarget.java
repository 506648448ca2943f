package rsd.testing;

import java.nio.file.Path;
import java.util.Map;
import rsd.LoadedModel;
import rsd.model.RandomLlama;
import rsd.model.TestModels;

/**
 * The one place that says which real model the end-to-end decoding tests run on. By default a tiny
 * random Llama written by the engine's test fixture (fast, runs everywhere); with
 * {@code -Drsd.test.model=models/rsd-code.gguf} the shipped code model (and its real tokenizer), with
 * {@code -Drsd.test.draft-model=models/rsd-code-draft.gguf} its draft model.
 */
public final class TestTarget {
    public static final String PROPERTY = "rsd.test.model";
    /** With {@link #PROPERTY}: the draft model for mode draft (none when unset). */
    public static final String DRAFT_PROPERTY = "rsd.test.draft-model";

    private TestTarget() {
    }

    public static boolean isRandom() {
        return System.getProperty(PROPERTY) == null;
    }

    public static LoadedModel open(Path tempDir) {
        String path = System.getProperty(PROPERTY);
        if (path != null) {
            return LoadedModel.open(Path.of(path), 2, 4096);
        }
        return randomModel(tempDir, 1);
    }

    /** The draft model to pair with {@link #open}: a second random Llama, or the one named by the property. */
    public static LoadedModel openDraft(Path tempDir) {
        if (isRandom()) {
            return randomModel(tempDir, 77);
        }
        String path = System.getProperty(DRAFT_PROPERTY);
        return path == null ? null : LoadedModel.open(Path.of(path), 2, 4096);
    }

    /** A tiny random Llama (same vocabulary for every seed, so one can draft for another). */
    public static LoadedModel randomModel(Path tempDir, long seed) {
        RandomLlama.Spec spec = TestModels.tiny().withSeed(seed);
        Path file = TestModels.writeRandomLlama(tempDir, spec, Map.of());
        // The real loader: the engine's model and the tokenizer built from the file's metadata.
        return LoadedModel.open(file, 1, 0);
    }
}
