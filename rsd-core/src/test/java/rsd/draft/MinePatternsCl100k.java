package rsd.draft;

import rsd.tokenizer.Cl100kVocabulary;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Developer entry point that mines the shipped pattern table with the cl100k test tokenizer (Llama 3's
 * first 100,000 ids), for use before a GGUF tokenizer is at hand. Arguments: OUT PY_DIR... [--zip SRC_ZIP].
 * The same miner runs as {@code rsd mine-patterns}.
 */
public final class MinePatternsCl100k {
    public static void main(String[] args) {
        Path out = Path.of(args[0]);
        PatternMiner miner = new PatternMiner(rsd.tokenizer.Cl100kVocabulary.tokenizer(), PatternMiner.Options.defaults());
        List<String> header = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--zip")) {
                Path zip = Path.of(args[++i]);
                List<String> prefixes = List.of("java.base/java/lang/", "java.base/java/util/", "java.base/java/io/",
                        "java.base/java/nio/", "java.base/java/time/", "java.base/java/net/", "java.base/java/text/",
                        "java.base/java/math/");
                miner.addZip(zip, prefixes, 4L << 20);
                header.add("zip " + zip.getFileName() + " " + prefixes);
            } else {
                miner.addDirectory(Path.of(args[i]));
                header.add("dir " + args[i]);
            }
        }
        long t0 = System.nanoTime();
        List<PatternTable.Entry> entries = miner.mine();
        var summary = miner.summary(entries.size());
        header.add(0, "rsd pattern table: token n-gram continuations mined from the training split only "
                + "(held out: crc32(relative path) % 20 == 0; test directories skipped)");
        header.add("tokenizer cl100k_base (= Llama 3 ids 0..99999); " + summary);
        PatternMiner.writeGzip(entries, header, out);
        System.err.printf("mined %s in %.1f s -> %s%n", summary, (System.nanoTime() - t0) / 1e9, out);
    }
}
