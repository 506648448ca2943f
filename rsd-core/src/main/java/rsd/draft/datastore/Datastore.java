package rsd.draft.datastore;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32;
import rsd.error.RsdException;
import rsd.tokenizer.Tokenizer;

/**
 * A memory-mapped code datastore: the token stream of many files and a suffix array over it, sorted to a
 * fixed depth. Finding the longest suffix of the context that occurs in the store, and counting what
 * followed each occurrence, are binary searches over the mapped file: no part of it is loaded into the heap.
 *
 * <p>File layout (little-endian): a 64-byte header (magic, format version, sort depth, vocabulary size and
 * fingerprint, token count, file count), then {@code int32 tokens[n]} (files separated by {@link #SEPARATOR}),
 * then {@code int32 suffixes[m]}: the positions that start a suffix (no separator), ordered by their first
 * {@code depth} tokens. Suffixes equal over that depth are in no particular order, so a query and the
 * continuation it reads must together stay within {@code depth} tokens.
 */
public final class Datastore implements AutoCloseable {
    static final long MAGIC = 0x3130545344445352L; // "RSDDST01" read as little-endian bytes
    static final int VERSION = 1;
    static final int HEADER_BYTES = 64;
    /** Written between files: no query token equals it, so no match or continuation crosses a file boundary. */
    static final int SEPARATOR = -1;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena;
    private final MemorySegment map;
    private final int depth;
    private final long tokens;
    private final long suffixes;
    private final long files;
    private final long suffixBase;

    private Datastore(Arena arena, MemorySegment map, int depth, long tokens, long suffixes, long files) {
        this.arena = arena;
        this.map = map;
        this.depth = depth;
        this.tokens = tokens;
        this.suffixes = suffixes;
        this.files = files;
        this.suffixBase = HEADER_BYTES + 4 * tokens;
    }

    /**
     * Maps a datastore file made for this tokenizer's vocabulary. A missing, truncated or foreign file, or
     * one made for another vocabulary, is a user error with one line naming the file.
     */
    public static Datastore open(Path file, Tokenizer tokenizer) {
        if (!Files.isRegularFile(file)) {
            throw new RsdException("datastore file " + file + " does not exist (make one with rsd index)");
        }
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES) {
                throw new RsdException("datastore file " + file + " is not an rsd datastore (" + size + " bytes, no header)");
            }
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            if (map.get(LONG, 0) != MAGIC) {
                throw new RsdException("datastore file " + file + " is not an rsd datastore (wrong magic bytes)");
            }
            int version = map.get(INT, 8);
            if (version != VERSION) {
                throw new RsdException("datastore file " + file + " has format version " + version
                        + ", this rsd reads version " + VERSION + "; rebuild it with rsd index");
            }
            int depth = map.get(INT, 12);
            int vocab = map.get(INT, 16);
            int print = map.get(INT, 20);
            long n = map.get(LONG, 24);
            long m = map.get(LONG, 32);
            long f = map.get(LONG, 40);
            if (depth < 2 || n < 0 || m < 0 || m > n || n > Integer.MAX_VALUE || f < 0) {
                throw new RsdException("datastore file " + file + " has a damaged header");
            }
            if (size != HEADER_BYTES + 4 * (n + m)) {
                throw new RsdException("datastore file " + file + " is truncated or damaged: " + size + " bytes, the header says "
                        + (HEADER_BYTES + 4 * (n + m)));
            }
            if (vocab != tokenizer.vocabSize() || print != fingerprint(tokenizer)) {
                throw new RsdException("datastore file " + file + " was made for another vocabulary (" + vocab
                        + " tokens) than the model's (" + tokenizer.vocabSize() + " tokens); index the code again with this model");
            }
            return new Datastore(arena, map, depth, n, m, f);
        } catch (IOException e) {
            arena.close();
            throw new RsdException("datastore file " + file + ": cannot read it (" + e.getMessage() + ")");
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** CRC32 over the vocabulary size and every token's bytes: two tokenizers agree on it only when they cut text alike. */
    public static int fingerprint(Tokenizer tokenizer) {
        CRC32 crc = new CRC32();
        int v = tokenizer.vocabSize();
        crc.update(new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v});
        for (int i = 0; i < v; i++) {
            byte[] b = tokenizer.tokenBytes(i);
            crc.update(b.length);
            crc.update(b);
        }
        return (int) crc.getValue();
    }

    /** Tokens in the store (separators included). */
    public long tokenCount() {
        return tokens;
    }

    /** Files the store was built from. */
    public long fileCount() {
        return files;
    }

    /** How many tokens of a suffix its order is exact over. */
    public int depth() {
        return depth;
    }

    long suffixCount() {
        return suffixes;
    }

    int token(long position) {
        return position < tokens ? map.get(INT, HEADER_BYTES + 4 * position) : SEPARATOR;
    }

    int suffix(long rank) {
        return map.get(INT, suffixBase + 4 * rank);
    }

    /** Compares the suffix at {@code position} with {@code pattern[from..to)} over those tokens: <0, 0, >0. */
    private int compare(long position, int[] pattern, int from, int to) {
        for (int i = from; i < to; i++) {
            int t = token(position + (i - from));
            if (t != pattern[i]) {
                return t < pattern[i] ? -1 : 1;
            }
        }
        return 0;
    }

    /**
     * The ranks {@code [lo, hi)} of the suffixes that begin with {@code pattern[from..to)} (empty: lo == hi).
     * At most {@link #depth()} tokens are compared.
     */
    long[] range(int[] pattern, int from, int to) {
        int end = Math.min(to, from + depth);
        long lo = 0;
        long hi = suffixes;
        while (lo < hi) { // first rank whose suffix is >= the pattern
            long mid = (lo + hi) >>> 1;
            if (compare(suffix(mid), pattern, from, end) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        long first = lo;
        hi = suffixes;
        while (lo < hi) { // first rank whose suffix is > the pattern
            long mid = (lo + hi) >>> 1;
            if (compare(suffix(mid), pattern, from, end) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return new long[] {first, lo};
    }

    /**
     * The longest suffix of {@code context} (at most {@code maxLength} tokens) that occurs in the store:
     * {length, lo, hi}, or length 0 when not even the last token occurs. Occurrence shrinks as the
     * suffix grows, so the length is found by binary search.
     */
    long[] longestMatch(int[] context, int maxLength) {
        int n = context.length;
        int most = Math.min(Math.min(maxLength, n), depth);
        long[] best = {0, 0, 0};
        int low = 1;
        int high = most;
        while (low <= high) {
            int k = (low + high) >>> 1;
            long[] r = range(context, n - k, n);
            if (r[1] > r[0]) {
                best = new long[] {k, r[0], r[1]};
                low = k + 1;
            } else {
                high = k - 1;
            }
        }
        return best;
    }

    /**
     * Within ranks [lo, hi) of suffixes that agree on their first {@code offset} tokens, the end rank of the
     * group starting at {@code lo} that also agrees on the token at {@code offset} (sorted, so a group is
     * contiguous; found by galloping then binary search).
     */
    long groupEnd(long lo, long hi, int offset) {
        int t = token(suffix(lo) + (long) offset);
        long step = 1;
        long good = lo;
        long probe = lo + 1;
        while (probe < hi && token(suffix(probe) + (long) offset) == t) {
            good = probe;
            step <<= 1;
            probe = lo + step;
        }
        long bad = Math.min(probe, hi);
        while (bad - good > 1) {
            long mid = (good + bad) >>> 1;
            if (token(suffix(mid) + (long) offset) == t) {
                good = mid;
            } else {
                bad = mid;
            }
        }
        return good + 1;
    }

    private boolean closed;

    /** Unmaps the file; later calls do nothing. Nothing may read the store afterwards. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
