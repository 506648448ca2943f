package rsd.draft.datastore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.function.LongConsumer;
import java.util.stream.IntStream;
import rsd.error.RsdException;
import rsd.tokenizer.Tokenizer;

/**
 * Collects the token streams of files and writes a {@link Datastore}. Memory while building is bounded by
 * the tokens themselves: 8 bytes a token (the stream and the suffix array as {@code int} arrays), nothing per
 * file, and {@link #MAX_TOKENS} caps the total.
 *
 * <p>The suffix array is sorted in two passes: a counting sort by the first token, then a multikey
 * quicksort (three-way partition on one token at a time) inside each first-token bucket to the sort depth,
 * buckets in parallel. Sorting only to a fixed depth keeps long repeated passages (licence headers, copied
 * files) from costing their full length on every comparison.
 */
public final class DatastoreBuilder {
    /** Default sort depth: queries use up to 24 tokens of context and read continuations within the rest. */
    public static final int DEFAULT_DEPTH = 40;
    /** Largest store: positions are {@code int}, and 8 bytes a token of heap must fit. */
    public static final int MAX_TOKENS = Integer.MAX_VALUE - 16;
    private static final int INSERTION = 12;

    private final int depth;
    private int[] tokens = new int[1 << 16];
    private int n;
    private long files;

    public DatastoreBuilder() {
        this(DEFAULT_DEPTH);
    }

    public DatastoreBuilder(int depth) {
        if (depth < 2) {
            throw new IllegalArgumentException("depth must be >= 2");
        }
        this.depth = depth;
    }

    /** Appends one file's tokens (then a separator). */
    public void add(int[] fileTokens) {
        if ((long) n + fileTokens.length + 1 > MAX_TOKENS) {
            throw new RsdException("the datastore would exceed " + MAX_TOKENS + " tokens; index fewer folders");
        }
        if (n + fileTokens.length + 1 > tokens.length) {
            long grown = Math.max((long) n + fileTokens.length + 1, (long) tokens.length * 3 / 2);
            tokens = Arrays.copyOf(tokens, (int) Math.min(MAX_TOKENS, grown));
        }
        for (int t : fileTokens) {
            if (t < 0) {
                throw new IllegalArgumentException("negative token id " + t);
            }
        }
        System.arraycopy(fileTokens, 0, tokens, n, fileTokens.length);
        n += fileTokens.length;
        tokens[n++] = Datastore.SEPARATOR;
        files++;
    }

    /** Tokens collected so far (separators included). */
    public long tokenCount() {
        return n;
    }

    public long fileCount() {
        return files;
    }

    /** Sorts the suffixes and writes the store; {@code progress} is told each sorted bucket's size. */
    public void write(Path out, Tokenizer tokenizer, LongConsumer progress) throws IOException {
        int[] sa = sortedSuffixes(progress);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer head = ByteBuffer.allocate(Datastore.HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(Datastore.MAGIC).putInt(Datastore.VERSION).putInt(depth).putInt(tokenizer.vocabSize())
                    .putInt(Datastore.fingerprint(tokenizer)).putLong(n).putLong(sa.length).putLong(files);
            head.clear();
            writeFully(ch, head);
            writeInts(ch, tokens, n);
            writeInts(ch, sa, sa.length);
        }
    }

    private static void writeInts(FileChannel ch, int[] values, int count) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; ) {
            buf.clear();
            int take = Math.min(count - i, buf.capacity() / 4);
            buf.asIntBuffer().put(values, i, take);
            buf.limit(take * 4);
            writeFully(ch, buf);
            i += take;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    /** Every non-separator position, ordered by its first {@code depth} tokens. */
    int[] sortedSuffixes(LongConsumer progress) {
        int vocab = 0;
        long count = 0;
        for (int i = 0; i < n; i++) {
            if (tokens[i] != Datastore.SEPARATOR) {
                vocab = Math.max(vocab, tokens[i] + 1);
                count++;
            }
        }
        int[] start = new int[vocab + 1];
        for (int i = 0; i < n; i++) {
            if (tokens[i] != Datastore.SEPARATOR) {
                start[tokens[i] + 1]++;
            }
        }
        for (int t = 0; t < vocab; t++) {
            start[t + 1] += start[t];
        }
        int[] sa = new int[(int) count];
        int[] fill = Arrays.copyOf(start, vocab);
        for (int i = 0; i < n; i++) {
            if (tokens[i] != Datastore.SEPARATOR) {
                sa[fill[tokens[i]]++] = i;
            }
        }
        final int buckets = vocab;
        IntStream.range(0, buckets).parallel().forEach(t -> {
            if (start[t + 1] - start[t] > 1) {
                sort(sa, start[t], start[t + 1], 1);
            }
            progress.accept(start[t + 1] - start[t]);
        });
        return sa;
    }

    private int key(int position, int d) {
        long p = (long) position + d;
        return p < n ? tokens[(int) p] : Datastore.SEPARATOR;
    }

    /** Multikey quicksort of sa[lo, hi), whose suffixes agree on their first d tokens. */
    private void sort(int[] sa, int lo, int hi, int d) {
        while (hi - lo > 1 && d < depth) {
            if (hi - lo <= INSERTION) {
                insertion(sa, lo, hi, d);
                return;
            }
            int mid = lo + (hi - lo) / 2;
            int a = key(sa[lo], d);
            int b = key(sa[mid], d);
            int c = key(sa[hi - 1], d);
            int pivot = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)); // median of three
            int lt = lo;
            int gt = hi;
            int i = lo;
            while (i < gt) {
                int k = key(sa[i], d);
                if (k < pivot) {
                    swap(sa, lt++, i++);
                } else if (k > pivot) {
                    swap(sa, i, --gt);
                } else {
                    i++;
                }
            }
            if (lt - lo < hi - gt) { // recurse into the smaller outer part first
                sort(sa, lo, lt, d);
                sort(sa, gt, hi, d);
            } else {
                sort(sa, gt, hi, d);
                sort(sa, lo, lt, d);
            }
            if (pivot == Datastore.SEPARATOR) {
                return; // suffixes ending here are equal to the end: nothing more to order
            }
            lo = lt;
            hi = gt;
            d++;
        }
    }

    private void insertion(int[] sa, int lo, int hi, int d) {
        for (int i = lo + 1; i < hi; i++) {
            int v = sa[i];
            int j = i;
            while (j > lo && less(v, sa[j - 1], d)) {
                sa[j] = sa[j - 1];
                j--;
            }
            sa[j] = v;
        }
    }

    /** Whether the suffix at x sorts before the one at y, comparing tokens d..depth-1. */
    private boolean less(int x, int y, int d) {
        for (int i = d; i < depth; i++) {
            int a = key(x, i);
            int b = key(y, i);
            if (a != b) {
                return a < b;
            }
            if (a == Datastore.SEPARATOR) {
                return false;
            }
        }
        return false;
    }

    private static void swap(int[] a, int i, int j) {
        int t = a[i];
        a[i] = a[j];
        a[j] = t;
    }
}
