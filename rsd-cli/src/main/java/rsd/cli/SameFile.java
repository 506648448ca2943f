package rsd.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The check commands make before writing an output, so that they never overwrite one of their inputs. */
final class SameFile {
    private SameFile() {
    }

    /**
     * Whether a and b name the same file: by the file system when both exist (links, case-insensitive
     * names), else by their normalized absolute paths.
     */
    static boolean same(Path a, Path b) {
        try {
            if (Files.exists(a) && Files.exists(b)) {
                return Files.isSameFile(a, b);
            }
        } catch (IOException e) {
            // fall through to the path comparison
        }
        return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
    }
}
