package rsd.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import rsd.error.RsdException;
import rsd.draft.datastore.Datastore;
import rsd.draft.datastore.DatastoreBuilder;
import rsd.tokenizer.Tokenizer;

/**
 * {@code rsd index}: tokenizes every code file under the given folders with a model's tokenizer and writes
 * a memory-mapped datastore (token stream + suffix array) that {@code --datastore} makes a drafting source.
 */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = {"Index code files as a datastore for drafting: their tokens and a suffix array, memory-mapped when used.",
            "Pass it to generate, bench, replay or serve with --datastore FILE."})
public final class IndexCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF file whose tokenizer is used, weights not read (default: ${DEFAULT-VALUE})")
    Path model = rsd.LoadedModel.DEFAULT_MODEL;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "datastore file to write")
    Path out;

    @Option(names = "--ext", split = ",", defaultValue = ".py", paramLabel = "EXT,EXT",
            description = "file name endings indexed (default: ${DEFAULT-VALUE})")
    List<String> extensions;

    @Option(names = "--skip-held-out",
            description = "leave out the files rsd replay --corpus replays (crc32(path relative to DIR) %% 20 == 0), so its windows stay unseen")
    boolean skipHeldOut;

    @Parameters(arity = "1..*", paramLabel = "DIR", description = "folders searched for code files")
    List<Path> dirs;

    @Override
    public Integer call() throws IOException {
        Models.requireModelFile(model, "model", "--model");
        for (Path d : dirs) {
            if (!Files.isDirectory(d)) {
                throw new RsdException("folder " + d + " does not exist");
            }
        }
        OutputPath.check("--out", out, model);
        if (Files.exists(out) && !isDatastore(out)) {
            throw new RsdException(out + " exists and is not an rsd datastore; it is left alone (choose another --out)");
        }
        Tokenizer tokenizer = ModelTokenizer.load(model);
        List<Path> files = new ArrayList<>();
        long bytes = 0;
        for (Path d : dirs) {
            try (Stream<Path> walk = Files.walk(d)) {
                for (Path p : walk.filter(Files::isRegularFile).filter(this::wanted).sorted().toList()) {
                    if (skipHeldOut && rsd.draft.PatternMiner.heldOut(d.relativize(p).toString().replace('\\', '/'))) {
                        continue;
                    }
                    files.add(p);
                    bytes += Files.size(p);
                }
            } catch (UncheckedIOException e) {
                throw new RsdException("cannot read folder " + d + ": " + e.getCause().getMessage());
            }
        }
        if (files.isEmpty()) {
            throw new RsdException("no " + String.join("/", extensions) + " files under " + dirs);
        }
        PrintWriter err = spec.commandLine().getErr();
        boolean terminal = System.console() != null;
        PercentProgress tokenizing = new PercentProgress(err, "rsd index: tokenizing", terminal);
        DatastoreBuilder builder = new DatastoreBuilder();
        long started = System.nanoTime();
        long done = 0;
        for (Path p : files) {
            String text = new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
            builder.add(tokenizer.encode(text));
            done += text.length();
            tokenizing.update(done, bytes, String.format(Locale.ROOT, "%d files, %.1f M tokens", builder.fileCount(),
                    builder.tokenCount() / 1e6));
        }
        tokenizing.finish();
        double tokenizeS = (System.nanoTime() - started) / 1e9;
        PercentProgress sorting = new PercentProgress(err, "rsd index: sorting suffixes", terminal);
        AtomicLong sorted = new AtomicLong();
        long total = builder.tokenCount() - builder.fileCount();
        long sortStarted = System.nanoTime();
        Path tmp = OutputPath.workFile(out, ".tmp");
        try {
            builder.write(tmp, tokenizer, size -> {
                long s = sorted.addAndGet(size);
                synchronized (sorting) {
                    sorting.update(s, total, "");
                }
            });
            sorting.finish();
            // An atomic rename replaces a file but never a folder (one may have appeared since the check).
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (RuntimeException | IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        double indexS = (System.nanoTime() - sortStarted) / 1e9;
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "rsd index: %s: %d files, %.1f MB, %d tokens; tokenized in %.1f s, indexed in %.1f s (%.2f M tokens/s), %.1f MB%n",
                out, builder.fileCount(), bytes / 1e6, builder.tokenCount(), tokenizeS, indexS,
                builder.tokenCount() / 1e6 / Math.max(1e-9, indexS), Files.size(out) / 1e6);
        o.flush();
        return 0;
    }

    private boolean wanted(Path p) {
        String name = p.getFileName().toString();
        return extensions.stream().anyMatch(e -> name.endsWith(e.trim()));
    }

    private static boolean isDatastore(Path p) {
        try (var in = Files.newInputStream(p)) {
            byte[] magic = in.readNBytes(8);
            return new String(magic, StandardCharsets.ISO_8859_1).equals("RSDDST01");
        } catch (IOException e) {
            return false;
        }
    }

    /** Opens a datastore for a command's {@code --datastore} option (null: none). */
    static Datastore open(Path file, Tokenizer tokenizer) {
        return file == null ? null : Datastore.open(file, tokenizer);
    }
}
