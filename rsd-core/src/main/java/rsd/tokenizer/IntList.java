package rsd.tokenizer;

import java.util.Arrays;

/** A growable int array (token ids without boxing). */
final class IntList {
    private int[] a;
    private int size;

    IntList(int capacity) {
        a = new int[Math.max(4, capacity)];
    }

    void add(int v) {
        if (size == a.length) {
            a = Arrays.copyOf(a, a.length * 2);
        }
        a[size++] = v;
    }

    void addAll(int[] vs) {
        if (size + vs.length > a.length) {
            a = Arrays.copyOf(a, Math.max(a.length * 2, size + vs.length));
        }
        System.arraycopy(vs, 0, a, size, vs.length);
        size += vs.length;
    }

    int[] toArray() {
        return Arrays.copyOf(a, size);
    }
}
