package rsd.draft;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipFile;
import rsd.error.RsdException;
import rsd.tokenizer.Tokenizer;
import rsd.tokenizer.Utf8;

/**
 * Mines the {@link PatternTable} from a code corpus. The corpus is the project's TRAINING split only:
 * a file is held out (skipped) when crc32 of its path relative to the corpus root (or its zip entry
 * name) is divisible by 20, the same rule the model's training corpus uses; test directories are
 * skipped. Evaluation data (HumanEval) must never be given to it.
 *
 * <p>Two passes over the tokenized corpus: the first counts every context of 1..4 tokens, the second
 * counts the next token only for contexts seen at least {@code minCount} times. An entry is kept when
 * its most frequent next token has at least {@code minPercent} of the continuations and a shorter
 * context does not already predict the same token as well; the {@code maxEntries} entries expected to
 * fire most often are written.
 */
public final class PatternMiner {
    private static final Set<String> TEST_DIRS = Set.of("test", "tests", "testing", "idle_test", "unittests",
            "test_data", "testdata", "site-packages", "__pycache__");

    public record Options(int minCount, int minPercent, int maxEntries, long maxBytes) {
        public static Options defaults() {
            return new Options(12, 45, 16_000, 40L << 20);
        }
    }

    /** What was mined from: file counts and bytes, for the manifest. */
    public record Summary(int files, int heldOut, long bytes, long tokens, int entries) {
    }

    private final Tokenizer tokenizer;
    private final Options options;
    private final List<int[]> documents = new ArrayList<>();
    private int files;
    private int heldOut;
    private long bytes;

    public PatternMiner(Tokenizer tokenizer, Options options) {
        this.tokenizer = tokenizer;
        this.options = options;
    }

    /** Whether a corpus file is in the held-out split (never mined). */
    public static boolean heldOut(String relativePath) {
        CRC32 crc = new CRC32();
        crc.update(relativePath.getBytes(StandardCharsets.UTF_8));
        return crc.getValue() % 20 == 0;
    }

    static boolean isTestPath(String relativePath) {
        String[] parts = relativePath.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (TEST_DIRS.contains(parts[i]) || parts[i].startsWith("test_")) {
                return true;
            }
        }
        return parts[parts.length - 1].startsWith("test_");
    }

    /** Adds the .py and .java files under a directory (sorted, training split only). */
    public void addDirectory(Path root) {
        if (!Files.isDirectory(root)) {
            throw new RsdException("corpus directory " + root + " does not exist");
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(Files::isRegularFile)
                    .filter(p -> p.toString().endsWith(".py") || p.toString().endsWith(".java"))
                    .sorted()
                    .forEach(p -> {
                        String rel = root.relativize(p).toString().replace('\\', '/');
                        try {
                            addFile(rel, Files.readAllBytes(p));
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    });
        } catch (IOException e) {
            throw new RsdException("cannot read corpus directory " + root + ": " + e.getMessage());
        }
    }

    /** Adds the .java entries of a zip (the JDK's lib/src.zip) whose names start with one of the prefixes. */
    public void addZip(Path zip, List<String> prefixes, long budgetBytes) {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            long[] used = {0};
            z.stream().filter(e -> !e.isDirectory() && e.getName().endsWith(".java"))
                    .filter(e -> prefixes.isEmpty() || prefixes.stream().anyMatch(e.getName()::startsWith))
                    .sorted(Comparator.comparing(java.util.zip.ZipEntry::getName))
                    .forEach(e -> {
                        if (used[0] >= budgetBytes) {
                            return;
                        }
                        try {
                            byte[] b = z.getInputStream(e).readAllBytes();
                            if (addFile(e.getName(), b)) {
                                used[0] += b.length;
                            }
                        } catch (IOException ex) {
                            throw new UncheckedIOException(ex);
                        }
                    });
        } catch (IOException e) {
            throw new RsdException("cannot read zip " + zip + ": " + e.getMessage());
        }
    }

    /** Adds one file; returns false when it was skipped (held out, test code, not UTF-8, over budget). */
    boolean addFile(String relativePath, byte[] content) {
        if (heldOut(relativePath)) {
            heldOut++;
            return false;
        }
        if (isTestPath(relativePath) || bytes + content.length > options.maxBytes()) {
            return false;
        }
        String text = Utf8.strictOrNull(content);
        if (text == null) {
            return false;
        }
        if (relativePath.endsWith(".java")) {
            text = stripLeadingBlockComment(text); // the licence header says nothing about code
        }
        documents.add(tokenizer.encode(text));
        files++;
        bytes += content.length;
        return true;
    }

    private static String stripLeadingBlockComment(String text) {
        String t = text.stripLeading();
        if (t.startsWith("/*")) {
            int end = t.indexOf("*/");
            if (end >= 0) {
                return t.substring(end + 2).stripLeading();
            }
        }
        return text;
    }

    /** Mines the table from everything added. */
    public List<PatternTable.Entry> mine() {
        boolean[] usable = usableTokens();
        // pass 1: how often each context occurs
        LongIntMap contextCounts = new LongIntMap(1 << 22);
        forEachContext(usable, (h, doc, pos, order) -> contextCounts.add(h, 1));
        // pass 2: next-token counts of the frequent contexts
        Map<Long, Counts> frequent = new HashMap<>();
        forEachContext(usable, (h, doc, pos, order) -> {
            if (contextCounts.get(h) >= options.minCount()) {
                frequent.computeIfAbsent(h, k -> new Counts(Arrays.copyOfRange(doc, pos - order, pos)))
                        .add(doc[pos]);
            }
        });
        Map<Long, Candidate> candidates = new HashMap<>();
        for (var e : frequent.entrySet()) {
            Counts c = e.getValue();
            int percent = (int) (100L * c.topCount() / c.total);
            if (percent >= options.minPercent()) {
                candidates.put(e.getKey(), new Candidate(c.context, c.top(), percent, c.total));
            }
        }
        List<Candidate> kept = new ArrayList<>();
        for (Candidate c : candidates.values()) {
            Candidate shorter = c.context.length > 1
                    ? candidates.get(PatternTable.hash(c.context, 1, c.context.length)) : null;
            if (shorter == null || shorter.next != c.next || shorter.percent < c.percent - 5) {
                kept.add(c);
            }
        }
        // the entries expected to produce the most accepted guesses: occurrences x agreement
        kept.sort(Comparator.comparingDouble((Candidate c) -> -(double) c.total * c.percent)
                .thenComparing(c -> Arrays.toString(c.context)));
        List<PatternTable.Entry> entries = new ArrayList<>();
        for (Candidate c : kept.subList(0, Math.min(kept.size(), options.maxEntries()))) {
            List<String> context = new ArrayList<>();
            for (int id : c.context) {
                context.add(tokenizer.piece(id));
            }
            entries.add(new PatternTable.Entry(context, tokenizer.piece(c.next), c.percent));
        }
        return entries;
    }

    public Summary summary(int entries) {
        long tokens = documents.stream().mapToLong(d -> d.length).sum();
        return new Summary(files, heldOut, bytes, tokens, entries);
    }

    /** Tokens whose bytes are valid UTF-8 on their own (so a piece string names them exactly). */
    private boolean[] usableTokens() {
        boolean[] usable = new boolean[tokenizer.vocabSize()];
        for (int id = 0; id < usable.length; id++) {
            byte[] b = tokenizer.tokenBytes(id);
            usable[id] = b.length > 0 && !tokenizer.isSpecial(id)
                    && Arrays.equals(tokenizer.piece(id).getBytes(StandardCharsets.UTF_8), b);
        }
        return usable;
    }

    private interface ContextVisitor {
        void visit(long hash, int[] doc, int pos, int order);
    }

    private void forEachContext(boolean[] usable, ContextVisitor visitor) {
        for (int[] doc : documents) {
            for (int pos = 1; pos < doc.length; pos++) {
                if (!usable[doc[pos]]) {
                    continue;
                }
                for (int order = 1; order <= PatternTable.MAX_ORDER && pos - order >= 0; order++) {
                    if (!usable[doc[pos - order]]) {
                        break;
                    }
                    visitor.visit(PatternTable.hash(doc, pos - order, pos), doc, pos, order);
                }
            }
        }
    }

    private record Candidate(int[] context, int next, int percent, int total) {
    }

    /** Next-token counts of one context (few distinct values: a tiny parallel-array map). */
    private static final class Counts {
        final int[] context;
        int[] ids = new int[4];
        int[] counts = new int[4];
        int size;
        int total;

        Counts(int[] context) {
            this.context = context;
        }

        void add(int id) {
            total++;
            for (int i = 0; i < size; i++) {
                if (ids[i] == id) {
                    counts[i]++;
                    return;
                }
            }
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                counts = Arrays.copyOf(counts, size * 2);
            }
            ids[size] = id;
            counts[size++] = 1;
        }

        int topIndex() {
            int best = 0;
            for (int i = 1; i < size; i++) {
                if (counts[i] > counts[best]) {
                    best = i;
                }
            }
            return best;
        }

        int top() {
            return ids[topIndex()];
        }

        int topCount() {
            return counts[topIndex()];
        }
    }

    /** Open-addressing long -> int counter (millions of contexts without boxing). */
    static final class LongIntMap {
        private long[] keys;
        private int[] values;
        private boolean[] used;
        private int size;

        LongIntMap(int capacity) {
            keys = new long[capacity];
            values = new int[capacity];
            used = new boolean[capacity];
        }

        void add(long key, int delta) {
            if (size * 2 >= keys.length) {
                grow();
            }
            int i = slot(key, keys, used);
            if (!used[i]) {
                used[i] = true;
                keys[i] = key;
                size++;
            }
            values[i] += delta;
        }

        int get(long key) {
            int i = slot(key, keys, used);
            return used[i] ? values[i] : 0;
        }

        private static int slot(long key, long[] keys, boolean[] used) {
            int mask = keys.length - 1;
            int i = (int) (key ^ (key >>> 29)) & mask;
            while (used[i] && keys[i] != key) {
                i = (i + 1) & mask;
            }
            return i;
        }

        private void grow() {
            long[] oldKeys = keys;
            int[] oldValues = values;
            boolean[] oldUsed = used;
            keys = new long[oldKeys.length * 2];
            values = new int[oldKeys.length * 2];
            used = new boolean[oldKeys.length * 2];
            for (int j = 0; j < oldKeys.length; j++) {
                if (oldUsed[j]) {
                    int i = slot(oldKeys[j], keys, used);
                    used[i] = true;
                    keys[i] = oldKeys[j];
                    values[i] = oldValues[j];
                }
            }
        }
    }

    /** Writes entries gzip-compressed with a header naming what they were mined from. */
    public static void writeGzip(List<PatternTable.Entry> entries, List<String> header, Path out) {
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(out));
             var w = new java.io.OutputStreamWriter(gz, StandardCharsets.UTF_8)) {
            for (String h : header) {
                w.write("# " + h.replace("\n", " ") + "\n");
            }
            PatternTable.write(entries, w);
        } catch (IOException e) {
            throw new RsdException("cannot write " + out + ": " + e.getMessage());
        }
    }

}
