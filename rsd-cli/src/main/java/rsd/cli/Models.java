package rsd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import rsd.LoadedModel;
import rsd.ModeResources;
import rsd.draft.CostModel;
import rsd.error.RsdException;
import rsd.model.LanguageModel;

/** The target model and, loaded on first use, the draft model of one command run. */
final class Models implements AutoCloseable {
    final LoadedModel target;
    private final ModelOptions options;
    private final ModelOpener opener;
    private LoadedModel draft;
    private final rsd.draft.datastore.Datastore datastore;

    Models(ModelOptions options, ModelOpener opener) {
        this.options = options;
        this.opener = opener;
        if (options.threads < 1) {
            throw new RsdException("--threads must be >= 1, got " + options.threads);
        }
        if (options.ctx < 0 || options.ctx == 1) {
            throw new RsdException("--ctx must be 0 (the model's own) or >= 2, got " + options.ctx);
        }
        if (options.gamma < 1) {
            throw new RsdException("--gamma must be >= 1, got " + options.gamma);
        }
        if (!(options.draftPMin >= 0 && options.draftPMin < 1)) {
            throw new RsdException("--draft-p-min must be in [0, 1), got " + options.draftPMin);
        }
        if (options.draftMin < 0 || options.draftMin > options.gamma) {
            throw new RsdException("--draft-min must be in 0.." + options.gamma + " (--draft-max), got " + options.draftMin);
        }
        this.target = open(options.model, "model", "--model");
        try {
            this.datastore = IndexCommand.open(options.datastore, target.tokenizer());
        } catch (RuntimeException e) {
            target.close();
            throw e;
        }
    }

    private LoadedModel open(Path path, String what, String option) {
        requireModelFile(path, what, option);
        return opener.open(path, options.threads, options.ctx);
    }

    /** Refuses a model path that is missing or no regular file, naming the option that chooses another. */
    static void requireModelFile(Path path, String what, String option) {
        refuseNonFile(path, what, option);
        if (!Files.exists(path)) {
            throw new RsdException(what + " file " + path + " not found (pass " + option + " FILE"
                    + (path.startsWith("models") || path.toAbsolutePath().normalize().startsWith(LoadedModel.DEFAULT_MODEL.getParent()) ? "; the embedded models are built by the training scripts" : "") + ")");
        }
    }

    /**
     * Refuses a model path that exists but is no regular file: a folder is called a folder, and a FIFO or
     * device is never opened (it would wait for a writer, or never end). A missing path is the caller's.
     */
    static void refuseNonFile(Path path, String what, String option) {
        if (Files.isDirectory(path)) {
            throw new RsdException(what + " " + path + " is a folder, not a model file (pass " + option + " FILE.gguf)");
        }
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            throw new RsdException(what + " " + path + " is not a regular file (pass " + option + " FILE.gguf)");
        }
    }

    /** Resources for the mode registry; the draft model is offered only when its file exists. */
    ModeResources resources() {
        Supplier<LanguageModel> draftSupplier = Files.isRegularFile(options.draftModel) ? this::draftModel : null;
        return new ModeResources(target.model(), target.tokenizer(), options.gamma, options.draftPMin, draftSupplier,
                () -> CostModel.forFile(target.model(), target.path(), options.threads, System.err, options.recalibrate), datastore,
                null, options.draftMin);
    }

    private LanguageModel draftModel() {
        if (draft == null) {
            draft = open(options.draftModel, "draft model", "--draft-model");
        }
        return draft.model();
    }

    Path draftPath() {
        return options.draftModel;
    }

    boolean draftLoaded() {
        return draft != null;
    }

    @Override
    public void close() {
        if (draft != null) {
            draft.close();
        }
        if (datastore != null) {
            datastore.close();
        }
        target.close();
    }
}
