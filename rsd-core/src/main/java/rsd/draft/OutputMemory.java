package rsd.draft;

import java.util.Arrays;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * What earlier generations wrote, as a drafting source for later ones (the same server, the same library
 * instance): a ring of the most recent {@code capacity} output tokens and a fixed-size hash table from
 * every {@link #KEY}-token run to the position after its latest occurrence. Memory is bounded by the
 * capacity (4 bytes per token for the ring, 8 per table slot) whatever the traffic. A run points into
 * the latest output that holds it, at its first occurrence there (the longest continuation). Old text is
 * overwritten, and a table slot that a newer run took, or that points into overwritten text, is simply
 * a miss. Outputs are separated by a mark no match crosses.
 *
 * <p>Thread-safe: decode slots of a server share one memory; lookups take a read lock, adding an output a
 * write lock.
 */
public final class OutputMemory {
    /** Tokens a lookup key spans. */
    static final int KEY = 3;
    /** Tokens kept by default (1 M: about 12 MB with the table). */
    public static final int DEFAULT_CAPACITY = 1 << 20;
    private static final int SEPARATOR = -1;

    private final int[] ring;
    private final long[] table;
    private final int mask;
    /** Tokens ever written (the next position); position p lives at ring[p % capacity]. */
    private long written;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    public OutputMemory() {
        this(DEFAULT_CAPACITY);
    }

    public OutputMemory(int capacity) {
        if (capacity < 16) {
            throw new IllegalArgumentException("an output memory needs room for at least 16 tokens, got " + capacity);
        }
        ring = new int[capacity];
        int slots = Integer.highestOneBit(capacity - 1) << 1;
        table = new long[slots];
        Arrays.fill(table, -1L);
        mask = slots - 1;
    }

    /** Tokens this memory holds at most. */
    public int capacity() {
        return ring.length;
    }

    /** Tokens written so far, separators included (older ones may be overwritten). */
    public long written() {
        lock.readLock().lock();
        try {
            return written;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Remembers one generation's output tokens. */
    public void add(int[] tokens) {
        if (tokens.length < KEY + 1) {
            return;
        }
        lock.writeLock().lock();
        try {
            long start = written;
            for (int i = 0; i < tokens.length; i++) {
                put(tokens[i]);
                if (i + 1 >= KEY) {
                    int slot = slot(tokens, i - KEY + 1);
                    // within one output its first occurrence wins: it has the longest continuation
                    if (table[slot] < start) {
                        table[slot] = written; // the position after the key's last token
                    }
                }
            }
            put(SEPARATOR);
        } finally {
            lock.writeLock().unlock();
        }
    }

    private void put(int token) {
        ring[(int) (written % ring.length)] = token;
        written++;
    }

    private int slot(int[] tokens, int start) {
        long h = 0x9E3779B97F4A7C15L;
        for (int k = 0; k < KEY; k++) {
            h = (h ^ tokens[start + k]) * 0xBF58476D1CE4E5B9L;
        }
        return (int) ((h ^ (h >>> 31)) & mask);
    }

    /** Token at an absolute position still in the ring, else SEPARATOR. */
    private int at(long position) {
        if (position < 0 || position >= written || position < written - ring.length) {
            return SEPARATOR;
        }
        return ring[(int) (position % ring.length)];
    }

    /**
     * The continuation that followed an earlier occurrence (see above) of the context's last {@link #KEY}
     * tokens, up to {@code max} tokens, with how many context tokens before it matched too (up to
     * {@code maxMatch}). Null when the memory has no such occurrence.
     */
    Match find(int[] context, int length, int max, int maxMatch) {
        if (length < KEY || max <= 0) {
            return null;
        }
        lock.readLock().lock();
        try {
            long after = table[slot(context, length - KEY)];
            if (after < 0) {
                return null;
            }
            // the slot may hold another key, or point into overwritten text: check the tokens themselves
            int matched = 0;
            while (matched < Math.min(maxMatch, length)
                    && at(after - 1 - matched) == context[length - 1 - matched]) {
                matched++;
            }
            if (matched < KEY) {
                return null;
            }
            int[] out = new int[max];
            int n = 0;
            while (n < max) {
                int t = at(after + n);
                if (t == SEPARATOR) {
                    break;
                }
                out[n++] = t;
            }
            return n == 0 ? null : new Match(Arrays.copyOf(out, n), matched);
        } finally {
            lock.readLock().unlock();
        }
    }

    /** A continuation and the length of the context suffix that matched before it. */
    record Match(int[] tokens, int matched) {
    }
}
