package rsd.cli;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

import rsd.error.RsdException;

/**
 * The check every command makes on an output path before it starts working, so that a long run never
 * ends in a failed write, and nothing the user had (a folder, an input file) is replaced.
 */
final class OutputPath {
    private OutputPath() {
    }

    /**
     * Refuses, naming {@code option} and the path: a folder, an existing file that cannot be written, a
     * missing or unwritable parent folder, or any of {@code inputs}.
     */
    static void check(String option, Path out, Path... inputs) {
        String name = (option == null ? "" : option + " ") + out;
        for (Path in : inputs) {
            if (in != null && SameFile.same(out, in)) {
                throw new RsdException(name + ": would overwrite the input file " + in);
            }
        }
        if (Files.isDirectory(out)) {
            throw new RsdException(name + ": is a folder; give a file name");
        }
        if (Files.exists(out) && !Files.isRegularFile(out)) {
            throw new RsdException(name + ": is not a regular file");
        }
        if (Files.exists(out) && !Files.isWritable(out)) {
            throw new RsdException(name + ": no permission to write it");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            throw new RsdException(name + ": the folder " + parent + " does not exist");
        }
        if (parent != null && !Files.isWritable(parent)) {
            throw new RsdException(name + ": no permission to write in the folder " + parent);
        }
    }

    /**
     * Creates a new empty work file next to {@code out} ({@code out.part}, else {@code out.1.part}, ...) to
     * be renamed onto it when complete. It did not exist before, so it is no input, folder or file of the
     * user's, and deleting it on failure removes nothing else.
     */
    static Path workFile(Path out, String suffix) {
        for (int i = 0; ; i++) {
            Path p = out.resolveSibling(out.getFileName() + (i == 0 ? "" : "." + i) + suffix);
            try {
                return Files.createFile(p);
            } catch (FileAlreadyExistsException e) {
                if (i == 99) {
                    throw new RsdException(out + ": cannot create a work file next to it (" + p + " and 99 others exist)");
                }
            } catch (IOException e) {
                throw new RsdException(out + ": cannot create the work file " + p + " (" + RsdException.reason(e) + ")");
            }
        }
    }
}
