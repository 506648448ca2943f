package rsd.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rsd.draft.PatternMiner;
import rsd.draft.PatternTable;
import rsd.error.RsdException;
import rsd.gguf.GgufFile;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Tokenizers;

/**
 * {@code rsd mine-patterns}: a developer command that mines the token n-gram table of the
 * {@code patterns} drafter from a code corpus (training split only) with a model's tokenizer.
 */
@Command(name = "mine-patterns", mixinStandardHelpOptions = true,
        description = {"Mine the n-gram continuation table of the 'patterns' drafter from a code corpus.",
            "Files whose relative path has crc32 %% 20 == 0 are held out (never mined), as in the model's "
                + "training corpus; test directories are skipped. Never give it evaluation data."})
public final class MinePatternsCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "GGUF file whose tokenizer cuts the corpus into pieces, any Llama-3-family model (default: ${DEFAULT-VALUE})")
    Path model = rsd.LoadedModel.DEFAULT_MODEL;

    @Option(names = "--corpus", paramLabel = "DIR", description = "directory of .py/.java files (repeatable)")
    List<Path> corpora = new ArrayList<>();

    @Option(names = "--java-zip", paramLabel = "ZIP", description = "the JDK's lib/src.zip (java.base packages)")
    Path javaZip;

    @Option(names = "--java-budget", paramLabel = "BYTES", defaultValue = "4194304",
            description = "bytes of Java taken from the zip (default: ${DEFAULT-VALUE})")
    long javaBudget;

    @Option(names = "--min-count", defaultValue = "12", description = "least occurrences of a context (default: ${DEFAULT-VALUE})")
    int minCount;

    @Option(names = "--min-percent", defaultValue = "45",
            description = "least share of the top continuation, percent (default: ${DEFAULT-VALUE})")
    int minPercent;

    @Option(names = "--max-entries", defaultValue = "16000", description = "entries kept (default: ${DEFAULT-VALUE})")
    int maxEntries;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "output table (.tsv.gz)")
    Path out;

    @Override
    public Integer call() {
        if (corpora.isEmpty() && javaZip == null) {
            throw new RsdException("give at least one --corpus DIR or --java-zip ZIP");
        }
        Models.requireModelFile(model, "model", "--model");
        if (javaZip != null && !Files.isRegularFile(javaZip)) {
            throw new RsdException("zip " + javaZip + " does not exist");
        }
        OutputPath.check("--out", out, model, javaZip);
        Tokenizer tokenizer;
        try (GgufFile gguf = GgufFile.open(model)) {
            tokenizer = Tokenizers.fromMetadata(gguf.metadata(), model.toString());
        }
        PatternMiner miner = new PatternMiner(tokenizer,
                new PatternMiner.Options(minCount, minPercent, maxEntries, 40L << 20));
        List<String> header = new ArrayList<>();
        header.add("rsd pattern table: token n-gram continuations mined from the training split only "
                + "(held out: crc32(relative path) % 20 == 0; test directories skipped)");
        for (Path dir : corpora) {
            miner.addDirectory(dir);
            header.add("dir " + dir);
        }
        if (javaZip != null) {
            List<String> prefixes = List.of("java.base/java/lang/", "java.base/java/util/", "java.base/java/io/",
                    "java.base/java/nio/", "java.base/java/time/", "java.base/java/net/", "java.base/java/text/",
                    "java.base/java/math/");
            miner.addZip(javaZip, prefixes, javaBudget);
            header.add("zip " + javaZip.getFileName() + " " + prefixes + " budget " + javaBudget);
        }
        long t0 = System.nanoTime();
        List<PatternTable.Entry> entries = miner.mine();
        PatternMiner.Summary summary = miner.summary(entries.size());
        header.add("tokenizer of " + model.getFileName() + "; " + summary);
        PatternMiner.writeGzip(entries, header, out);
        System.err.printf("rsd: mined %d entries from %d files (%d held out, %d tokens) in %.1f s -> %s%n",
                entries.size(), summary.files(), summary.heldOut(), summary.tokens(),
                (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }
}
