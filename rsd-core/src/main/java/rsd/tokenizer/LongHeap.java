package rsd.tokenizer;

import java.util.Arrays;

/** A binary min-heap of longs (BPE's merge candidates, packed as priority << 32 | position). */
final class LongHeap {
    private long[] h;
    private int size;

    LongHeap(int capacity) {
        h = new long[Math.max(4, capacity)];
    }

    boolean isEmpty() {
        return size == 0;
    }

    void push(long v) {
        if (size == h.length) {
            h = Arrays.copyOf(h, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (h[p] <= v) {
                break;
            }
            h[i] = h[p];
            i = p;
        }
        h[i] = v;
    }

    long pop() {
        long top = h[0];
        long last = h[--size];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) {
                break;
            }
            if (c + 1 < size && h[c + 1] < h[c]) {
                c++;
            }
            if (h[c] >= last) {
                break;
            }
            h[i] = h[c];
            i = c;
        }
        h[i] = last;
        return top;
    }
}
