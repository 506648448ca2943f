package rsd.cli;

import java.nio.file.Path;
import rsd.LoadedModel;

/** Opens a model file; commands use {@code LoadedModel::open}, tests substitute small fakes. */
@FunctionalInterface
interface ModelOpener {
    LoadedModel open(Path path, int threads, int maxContext);
}
