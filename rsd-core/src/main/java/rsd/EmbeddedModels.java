package rsd;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import rsd.draft.CostModel;
import rsd.error.RsdException;

/**
 * Finds the embedded models outside an rsd checkout: the {@code io.github.rsd:rsd-models} jar carries
 * them as resources under {@code rsd/models/}. The engine maps a model file into memory, so a model in a
 * jar is copied once to the cache folder ({@code $XDG_CACHE_HOME/rsd/models}, else
 * {@code ~/.cache/rsd/models}) under a name holding its checksum: a newer rsd-models never finds an older
 * copy, and a copy in use is never overwritten.
 */
final class EmbeddedModels {
    private static final String RESOURCE_DIR = "rsd/models/";

    private EmbeddedModels() {
    }

    /**
     * {@code path} itself when it is a file or not one of the embedded models' default paths; else the
     * embedded model from the classpath (extracted), or {@code path} when no rsd-models is there either.
     */
    static Path resolve(Path path) {
        if (path == null || Files.isRegularFile(path)
                || !(path.equals(LoadedModel.DEFAULT_MODEL) || path.equals(LoadedModel.DEFAULT_DRAFT_MODEL))) {
            return path;
        }
        String name = path.getFileName().toString();
        URL url = resource(RESOURCE_DIR + name);
        return url == null ? path : extract(url, name, CostModel.defaultCacheDir().resolve("models"));
    }

    private static URL resource(String name) {
        URL url = EmbeddedModels.class.getClassLoader().getResource(name);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        return url != null || context == null ? url : context.getResource(name);
    }

    static Path extract(URL url, String name, Path dir) {
        try {
            Files.createDirectories(dir);
            Path part = Files.createTempFile(dir, name, ".part");
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = new DigestInputStream(url.openStream(), sha)) {
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                }
                String stem = name.endsWith(".gguf") ? name.substring(0, name.length() - 5) : name;
                Path target = dir.resolve(stem + "-" + HexFormat.of().formatHex(sha.digest(), 0, 8) + ".gguf");
                if (Files.isRegularFile(target) && Files.size(target) == Files.size(part)) {
                    return target; // extracted before, perhaps mapped by another process right now
                }
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return target;
            } finally {
                Files.deleteIfExists(part);
            }
        } catch (IOException e) {
            throw new RsdException("cannot copy the embedded model " + name + " out of the rsd-models jar to " + dir
                    + ": " + e.getMessage());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
