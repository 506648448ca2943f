package rsd.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import rsd.LoadedModel;
import rsd.ModeResources;

/** Options shared by the commands that load models. */
final class ModelOptions {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE", description = "GGUF model (default: ${DEFAULT-VALUE})")
    Path model = LoadedModel.DEFAULT_MODEL;

    @Option(names = "--draft-model", paramLabel = "FILE",
            description = "GGUF draft model for mode 'draft' (default: ${DEFAULT-VALUE})")
    Path draftModel = LoadedModel.DEFAULT_DRAFT_MODEL;

    @Option(names = {"--draft-max", "--gamma"}, paramLabel = "N", description = "most guessed tokens verified per step (default: ${DEFAULT-VALUE})")
    int gamma = ModeResources.DEFAULT_GAMMA;

    @Option(names = "--draft-min", paramLabel = "N",
            description = "single-source modes (indent, rules, lookup, patterns, recycle, draft): a guess of fewer tokens is not verified, the step is plain (llama.cpp's --draft-min; auto sizes its trees by cost; default: ${DEFAULT-VALUE})")
    int draftMin = ModeResources.DEFAULT_DRAFT_MIN;

    @Option(names = "--draft-p-min", paramLabel = "P",
            description = "mode 'draft': stop drafting before a token the draft model gives less than P (llama.cpp's p_min; 0 = always --gamma tokens; default: ${DEFAULT-VALUE})")
    double draftPMin = ModeResources.DEFAULT_DRAFT_P_MIN;

    @Option(names = "--datastore", paramLabel = "FILE",
            description = "code datastore made by rsd index with this model's tokenizer: a drafting source of mode auto")
    Path datastore;

    @Option(names = "--recalibrate",
            description = "measure this model's forward cost curve again (mode auto sizes its guesses by it) and replace the cached one")
    boolean recalibrate;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Option(names = {"-c", "--ctx-size", "--ctx"}, paramLabel = "N", description = "context length cap in tokens, 0 = the model's own (default: ${DEFAULT-VALUE})")
    int ctx = 4096;
}
