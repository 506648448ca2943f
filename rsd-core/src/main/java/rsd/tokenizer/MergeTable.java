package rsd.tokenizer;

import java.util.Arrays;

/**
 * Pair of token ids to (merge priority, merged token id), an open-addressing hash table on primitive
 * longs: the BPE inner loop looks up every adjacent pair, so boxing would dominate encoding time.
 */
final class MergeTable {
    static final long NONE = Long.MAX_VALUE;
    private static final long EMPTY = -1L;

    private long[] keys;
    private long[] values;
    private int size;
    private int mask;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        keys = new long[cap];
        values = new long[cap];
        Arrays.fill(keys, EMPTY);
        mask = cap - 1;
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    private int slot(long key) {
        long h = key * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29)) & mask;
    }

    /** Adds the merge unless the pair already has one (the earlier merge keeps its priority). */
    void putIfAbsent(int left, int right, int priority, int merged) {
        if (size * 2 >= keys.length) {
            grow();
        }
        long k = key(left, right);
        int i = slot(k);
        while (keys[i] != EMPTY) {
            if (keys[i] == k) {
                return;
            }
            i = (i + 1) & mask;
        }
        keys[i] = k;
        values[i] = ((long) priority << 32) | merged;
        size++;
    }

    /** (priority << 32 | merged id) for the pair, or {@link #NONE}; smaller means merged first. */
    long get(int left, int right) {
        long k = key(left, right);
        int i = slot(k);
        long[] ks = keys;
        while (true) {
            long x = ks[i];
            if (x == k) {
                return values[i];
            }
            if (x == EMPTY) {
                return NONE;
            }
            i = (i + 1) & mask;
        }
    }

    int size() {
        return size;
    }

    private void grow() {
        long[] oldK = keys;
        long[] oldV = values;
        keys = new long[oldK.length * 2];
        values = new long[oldK.length * 2];
        Arrays.fill(keys, EMPTY);
        mask = keys.length - 1;
        for (int j = 0; j < oldK.length; j++) {
            if (oldK[j] != EMPTY) {
                int i = slot(oldK[j]);
                while (keys[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldK[j];
                values[i] = oldV[j];
            }
        }
    }
}
