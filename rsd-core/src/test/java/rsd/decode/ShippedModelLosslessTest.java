package rsd.decode;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import rsd.LoadedModel;

/**
 * The same end-to-end lossless checks as {@link LosslessRealModelTest}, on the models that ship in
 * {@code models/}: a trained model whose guesses are really accepted and rejected, with its own
 * 12k-token Llama-3 vocabulary, and its draft model. The files are part of the repository, so a
 * missing file is a failure, not a skip.
 */
class ShippedModelLosslessTest extends LosslessRealModelTest {
    // Hides LosslessRealModelTest.load(), so JUnit runs this one instead.
    @BeforeAll
    static void load() {
        // models/ of the checkout: the build passes the checkout as rsd.home, as the launcher does.
        Path model = LoadedModel.DEFAULT_MODEL;
        Path draftModel = LoadedModel.DEFAULT_DRAFT_MODEL;
        if (!Files.isRegularFile(model) || !Files.isRegularFile(draftModel)) {
            throw new AssertionError("the shipped models are missing: " + model + ", " + draftModel);
        }
        target = LoadedModel.open(model, 2, 4096);
        draft = LoadedModel.open(draftModel, 2, 4096);
    }
}
