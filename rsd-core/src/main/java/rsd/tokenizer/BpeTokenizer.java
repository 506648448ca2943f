package rsd.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import rsd.error.RsdException;

/**
 * Byte-level BPE as in GPT-2 and Llama 3, built from GGUF {@code tokenizer.ggml.*} metadata.
 *
 * <p>Encoding: the text (unpaired surrogates replaced by U+FFFD, see {@link Utf8}) is cut into
 * pre-tokens; each pre-token's UTF-8 bytes start as one token per byte, then the adjacent pair with the
 * best merge priority is merged, leftmost first among equals, until no adjacent pair has a merge.
 *
 * <p>Merge priority is the index of the first merge in the list that produces the same token. For
 * vocabularies with one merge per token (GPT-2) that is just the merge's index. Llama 3's merges were
 * derived from tiktoken ranks, several per token, sorted by the rank of the token they produce; its
 * reference tokenizer (tiktoken) always merges the adjacent pair whose concatenation has the lowest rank,
 * leftmost first. Using the first index per produced token reproduces that rule exactly, including the
 * rare tie between two different splits of the same token, where a per-merge index would break the tie by
 * list order instead of by position.
 *
 * <p>Thread-safe: encoding keeps its scratch state per call; the pre-token cache needs no locks.
 */
final class BpeTokenizer implements Tokenizer {
    static final int TYPE_NORMAL = 1;
    static final int TYPE_UNKNOWN = 2;
    static final int TYPE_CONTROL = 3;
    static final int TYPE_USER_DEFINED = 4;
    static final int TYPE_UNUSED = 5;
    static final int TYPE_BYTE = 6;

    /** Pre-tokens up to this many bytes merge with a linear scan; longer ones use a heap. */
    static final int LINEAR_LIMIT = 64;
    /** Pre-tokens longer than this (in chars) are not cached: they rarely repeat. */
    private static final int CACHE_MAX_CHARS = 48;
    /** Slots of the direct-mapped pre-token cache (a new entry replaces the one in its slot). */
    static final int CACHE_SLOTS = 1 << 17;

    private final String source;
    private final String[] texts;
    private final byte[][] tokenBytes;
    private final int[] types;
    private final Map<String, Integer> vocabIds;
    private final Map<String, Integer> specialIds;
    /** Special tokens for allowSpecial matching, grouped by first char, longest name first. */
    private final Map<Character, int[]> specialsByFirstChar;
    /** Chars that start some special token's name: the allowSpecial scan skips all others cheaply. */
    private final boolean[] specialStart = new boolean[65536];
    private final int[] byteToId = new int[256];
    private final MergeTable merges;
    private final PreTokenizer preTokenizer;
    private final String preName;
    private final int bos;
    private final int eos;
    private final int eot;
    private final int padding;
    private final boolean addBos;
    private final int[] endOfGeneration;
    /**
     * Direct-mapped cache of encoded pre-tokens, looked up by the chars of the text in place (no substring
     * per lookup). Bounded by construction. Shared by threads without locks: entries are immutable and
     * their fields final, so a racing reader sees either a complete old entry or a complete new one.
     */
    private final CacheEntry[] cache = new CacheEntry[CACHE_SLOTS];

    private record CacheEntry(String key, int[] ids) {
    }

    private BpeTokenizer(Map<String, Object> md, String source, PreTokenizer preOverride) {
        this.source = source;
        Metadata m = new Metadata(md, source);
        String model = m.string("tokenizer.ggml.model");
        if (model == null) {
            throw new RsdException(source + ": no tokenizer in the metadata (key tokenizer.ggml.model is missing)");
        }
        if (!model.equals("gpt2")) {
            throw new RsdException(source + ": tokenizer model '" + model
                    + "' is not supported; rsd reads byte-level BPE vocabularies (tokenizer.ggml.model = gpt2)");
        }
        List<?> tokenList = m.list("tokenizer.ggml.tokens");
        if (tokenList == null || tokenList.isEmpty()) {
            throw new RsdException(source + ": tokenizer.ggml.tokens is missing or empty");
        }
        int n = tokenList.size();
        texts = new String[n];
        for (int i = 0; i < n; i++) {
            if (!(tokenList.get(i) instanceof String s)) {
                throw new RsdException(source + ": tokenizer.ggml.tokens[" + i + "] is not a string");
            }
            texts[i] = s;
        }
        types = new int[n];
        List<?> typeList = m.list("tokenizer.ggml.token_type");
        if (typeList == null) {
            Arrays.fill(types, TYPE_NORMAL);
        } else {
            if (typeList.size() != n) {
                throw new RsdException(source + ": tokenizer.ggml.token_type has " + typeList.size()
                        + " entries but tokenizer.ggml.tokens has " + n);
            }
            for (int i = 0; i < n; i++) {
                if (!(typeList.get(i) instanceof Number t)) {
                    throw new RsdException(source + ": tokenizer.ggml.token_type[" + i + "] is not a number");
                }
                types[i] = t.intValue();
            }
        }

        tokenBytes = new byte[n][];
        vocabIds = new HashMap<>(n * 2);
        specialIds = new HashMap<>();
        for (int i = 0; i < n; i++) {
            String t = texts[i];
            if (types[i] == TYPE_CONTROL || types[i] == TYPE_USER_DEFINED) {
                tokenBytes[i] = Utf8.encode(t);
                if (!t.isEmpty()) {
                    specialIds.putIfAbsent(t, i);
                }
                continue;
            }
            byte[] b = ByteUnicode.toBytes(t);
            if (b == null) {
                if (types[i] == TYPE_NORMAL || types[i] == TYPE_BYTE) {
                    throw new RsdException(source + ": token " + i + " " + quote(t)
                            + " is not in byte-level BPE form (a char stands for no byte)");
                }
                b = Utf8.encode(t); // unknown/unused placeholders: their name, never produced by encoding
            }
            tokenBytes[i] = b;
            vocabIds.putIfAbsent(t, i);
        }
        for (int b = 0; b < 256; b++) {
            Integer id = vocabIds.get(String.valueOf(ByteUnicode.charOf(b)));
            if (id == null) {
                throw new RsdException(source + ": the vocabulary has no token for byte 0x"
                        + Integer.toHexString(b) + ", so some text could not be encoded");
            }
            byteToId[b] = id;
        }

        List<?> mergeList = m.list("tokenizer.ggml.merges");
        if (mergeList == null) {
            throw new RsdException(source + ": tokenizer.ggml.merges is missing (a BPE vocabulary needs its merges)");
        }
        merges = new MergeTable(mergeList.size());
        int[] firstMerge = new int[n];
        Arrays.fill(firstMerge, -1);
        for (int i = 0; i < mergeList.size(); i++) {
            if (!(mergeList.get(i) instanceof String merge)) {
                throw new RsdException(source + ": tokenizer.ggml.merges[" + i + "] is not a string");
            }
            int sp = merge.indexOf(' ');
            if (sp <= 0 || sp == merge.length() - 1 || merge.indexOf(' ', sp + 1) >= 0) {
                throw new RsdException(source + ": merge " + i + " " + quote(merge) + " is not two tokens separated by one space");
            }
            String a = merge.substring(0, sp);
            String b = merge.substring(sp + 1);
            Integer left = vocabIds.get(a);
            Integer right = vocabIds.get(b);
            Integer merged = vocabIds.get(a + b);
            if (left == null || right == null) {
                throw new RsdException(source + ": merge " + i + " " + quote(merge) + " names unknown token "
                        + quote(left == null ? a : b));
            }
            if (merged == null) {
                throw new RsdException(source + ": merge " + i + " " + quote(merge) + " produces unknown token " + quote(a + b));
            }
            if (firstMerge[merged] < 0) {
                firstMerge[merged] = i;
            }
            merges.putIfAbsent(left, right, firstMerge[merged], merged);
        }

        String pre = m.string("tokenizer.ggml.pre");
        if (preOverride != null) {
            preTokenizer = preOverride;
            preName = "custom";
        } else if ("llama-bpe".equals(pre)) {
            preTokenizer = Llama3Splitter.INSTANCE;
            preName = pre;
        } else if (pre == null || pre.equals("gpt2")) {
            preTokenizer = PreTokenizer.regex(PreTokenizer.GPT2_PATTERN);
            preName = "gpt2";
        } else {
            throw new RsdException(source + ": pre-tokenizer '" + pre
                    + "' (tokenizer.ggml.pre) is not supported; rsd knows llama-bpe and gpt2");
        }

        bos = m.id("tokenizer.ggml.bos_token_id", n);
        eos = m.id("tokenizer.ggml.eos_token_id", n);
        padding = m.id("tokenizer.ggml.padding_token_id", n);
        int eotId = m.id("tokenizer.ggml.eot_token_id", n);
        eot = eotId >= 0 ? eotId : specialIds.getOrDefault("<|eot_id|>", -1);
        Boolean add = m.bool("tokenizer.ggml.add_bos_token");
        addBos = add == null || add;

        List<Integer> eog = new ArrayList<>();
        for (int id : new int[] {eos, eot, specialIds.getOrDefault("<|end_of_text|>", -1),
                specialIds.getOrDefault("<|eom_id|>", -1)}) {
            if (id >= 0 && !eog.contains(id)) {
                eog.add(id);
            }
        }
        endOfGeneration = eog.stream().mapToInt(Integer::intValue).toArray();

        Map<Character, List<Integer>> byFirst = new HashMap<>();
        specialIds.forEach((name, id) -> byFirst.computeIfAbsent(name.charAt(0), c -> new ArrayList<>()).add(id));
        specialsByFirstChar = new HashMap<>();
        byFirst.keySet().forEach(c -> specialStart[c] = true);
        byFirst.forEach((c, ids) -> specialsByFirstChar.put(c, ids.stream()
                .sorted(Comparator.comparingInt((Integer id) -> -texts[id].length()).thenComparingInt(id -> id))
                .mapToInt(Integer::intValue).toArray()));
    }

    static BpeTokenizer fromMetadata(Map<String, Object> md, String source) {
        return new BpeTokenizer(md, source, null);
    }

    /** For tests: the same vocabulary with another pre-tokenizer (e.g. cl100k's own regex). */
    static BpeTokenizer fromMetadata(Map<String, Object> md, String source, PreTokenizer pre) {
        return new BpeTokenizer(md, source, pre);
    }

    private static String quote(String s) {
        StringBuilder sb = new StringBuilder("'");
        s.codePoints().limit(60).forEach(c -> {
            if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", c));
            } else {
                sb.appendCodePoint(c);
            }
        });
        return sb.append(s.codePointCount(0, s.length()) > 60 ? "...'" : "'").toString();
    }

    // ---------------------------------------------------------------- encoding

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        String s = Utf8.sanitize(text);
        IntList out = new IntList(s.length() / 3 + 8);
        Encoder enc = new Encoder(s, out);
        int n = s.length();
        if (!allowSpecial || specialsByFirstChar.isEmpty()) {
            preTokenizer.split(s, 0, n, enc);
            return out.toArray();
        }
        int segment = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (!specialStart[c]) {
                continue;
            }
            for (int id : specialsByFirstChar.get(c)) {
                if (s.startsWith(texts[id], i)) {
                    preTokenizer.split(s, segment, i, enc);
                    out.add(id);
                    segment = i + texts[id].length();
                    i = segment - 1;
                    break;
                }
            }
        }
        preTokenizer.split(s, segment, n, enc);
        return out.toArray();
    }

    /** Receives pre-tokens of one text and appends their tokens; holds the per-call scratch buffer. */
    private final class Encoder implements PreTokenizer.Sink {
        private final String s;
        private final IntList out;
        private byte[] buf = new byte[64];

        Encoder(String s, IntList out) {
            this.s = s;
            this.out = out;
        }

        @Override
        public void piece(int start, int end) {
            int len = end - start;
            if (len == 1 && s.charAt(start) < 0x80) {
                out.add(byteToId[s.charAt(start)]);
                return;
            }
            int slot = -1;
            if (len <= CACHE_MAX_CHARS) {
                int h = 0;
                for (int i = start; i < end; i++) {
                    h = 31 * h + s.charAt(i);
                }
                h ^= h >>> 15;
                slot = (h * 0x9E3779B9) >>> (32 - Integer.numberOfTrailingZeros(CACHE_SLOTS));
                CacheEntry e = cache[slot];
                if (e != null && e.key.length() == len && e.key.regionMatches(0, s, start, len)) {
                    out.addAll(e.ids);
                    return;
                }
            }
            if (buf.length < len * 3) {
                buf = new byte[len * 3];
            }
            int nb = Utf8.encode(s, start, end, buf);
            int[] ids = bpe(buf, nb);
            out.addAll(ids);
            if (slot >= 0) {
                cache[slot] = new CacheEntry(s.substring(start, end), ids);
            }
        }
    }

    /** BPE over one pre-token's bytes. */
    int[] bpe(byte[] bytes, int n) {
        int[] sym = new int[n];
        for (int i = 0; i < n; i++) {
            sym[i] = byteToId[bytes[i] & 0xFF];
        }
        return n <= LINEAR_LIMIT ? bpeLinear(sym, n) : bpeHeap(sym, n);
    }

    /** Short pre-tokens: scan all pairs for the best one; arrays stay tiny and in cache. */
    int[] bpeLinear(int[] sym, int n) {
        if (n < 2) {
            return Arrays.copyOf(sym, n);
        }
        long[] pair = new long[n - 1];
        for (int i = 0; i < n - 1; i++) {
            pair[i] = merges.get(sym[i], sym[i + 1]);
        }
        while (n > 1) {
            int best = -1;
            long bestValue = MergeTable.NONE;
            for (int i = 0; i < n - 1; i++) {
                if (pair[i] < bestValue) { // strict: the leftmost of equal priorities wins
                    bestValue = pair[i];
                    best = i;
                }
            }
            if (best < 0) {
                break;
            }
            sym[best] = (int) bestValue;
            System.arraycopy(sym, best + 2, sym, best + 1, n - best - 2);
            System.arraycopy(pair, best + 1, pair, best, n - best - 2);
            n--;
            if (best > 0) {
                pair[best - 1] = merges.get(sym[best - 1], sym[best]);
            }
            if (best < n - 1) {
                pair[best] = merges.get(sym[best], sym[best + 1]);
            }
        }
        return Arrays.copyOf(sym, n);
    }

    /**
     * Long pre-tokens: the same rule with a heap of (priority, position) and a linked list, so a long
     * run costs O(n log n) instead of O(n^2). Entries go stale when a neighbour merges; they are checked
     * against the current pair when popped.
     */
    int[] bpeHeap(int[] sym, int n) {
        int[] next = new int[n];
        int[] prev = new int[n];
        LongHeap heap = new LongHeap(n);
        for (int i = 0; i < n; i++) {
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        for (int i = 0; i + 1 < n; i++) {
            push(heap, i, merges.get(sym[i], sym[i + 1]));
        }
        int alive = n;
        while (!heap.isEmpty()) {
            long e = heap.pop();
            int pos = (int) e;
            int nx;
            if (sym[pos] < 0 || (nx = next[pos]) >= n) {
                continue;
            }
            long v = merges.get(sym[pos], sym[nx]);
            if (v == MergeTable.NONE || (v >>> 32) != (e >>> 32)) {
                continue;
            }
            sym[pos] = (int) v;
            sym[nx] = -1;
            alive--;
            next[pos] = next[nx];
            if (next[pos] < n) {
                prev[next[pos]] = pos;
            }
            if (prev[pos] >= 0) {
                push(heap, prev[pos], merges.get(sym[prev[pos]], sym[pos]));
            }
            if (next[pos] < n) {
                push(heap, pos, merges.get(sym[pos], sym[next[pos]]));
            }
        }
        int[] out = new int[alive];
        for (int i = 0, k = 0; i < n; i = next[i]) {
            out[k++] = sym[i];
        }
        return out;
    }

    private static void push(LongHeap heap, int pos, long mergeValue) {
        if (mergeValue != MergeTable.NONE) {
            heap.push((mergeValue & 0xFFFFFFFF00000000L) | pos);
        }
    }

    // ---------------------------------------------------------------- decoding and lookups

    @Override
    public int vocabSize() {
        return texts.length;
    }

    private void check(int id) {
        if (id < 0 || id >= texts.length) {
            throw new RsdException("token id " + id + " is outside the vocabulary of " + source
                    + " (0.." + (texts.length - 1) + ")");
        }
    }

    @Override
    public byte[] tokenBytes(int id) {
        check(id);
        return tokenBytes[id].clone();
    }

    @Override
    public String piece(int id) {
        check(id);
        return Utf8.decode(tokenBytes[id], 0, tokenBytes[id].length);
    }

    @Override
    public int idOf(String piece) {
        Integer id = vocabIds.get(ByteUnicode.toVocabText(Utf8.encode(piece)));
        if (id == null) {
            id = specialIds.get(piece);
        }
        return id == null ? -1 : id;
    }

    @Override
    public String decode(int[] ids) {
        int len = 0;
        for (int id : ids) {
            check(id);
            len += tokenBytes[id].length;
        }
        byte[] all = new byte[len];
        int p = 0;
        for (int id : ids) {
            byte[] b = tokenBytes[id];
            System.arraycopy(b, 0, all, p, b.length);
            p += b.length;
        }
        return Utf8.decode(all, 0, len);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new Streaming();
    }

    /** Holds back at most the 3 bytes of an unfinished character; everything else goes out at once. */
    private final class Streaming implements StreamingDecoder {
        private byte[] pending = new byte[16];
        private int size;

        @Override
        public String push(int id) {
            check(id);
            byte[] b = tokenBytes[id];
            if (size + b.length > pending.length) {
                pending = Arrays.copyOf(pending, Math.max(pending.length * 2, size + b.length));
            }
            System.arraycopy(b, 0, pending, size, b.length);
            size += b.length;
            StringBuilder sb = new StringBuilder(size);
            int used = Utf8.decode(pending, 0, size, sb, false);
            System.arraycopy(pending, used, pending, 0, size - used);
            size -= used;
            return sb.toString();
        }

        @Override
        public String flush() {
            String rest = Utf8.decode(pending, 0, size);
            size = 0;
            return rest;
        }
    }

    @Override
    public int bos() {
        return bos;
    }

    @Override
    public int eos() {
        return eos;
    }

    @Override
    public int eot() {
        return eot;
    }

    int padding() {
        return padding;
    }

    String preTokenizerName() {
        return preName;
    }

    int mergeCount() {
        return merges.size();
    }

    @Override
    public boolean addBos() {
        return addBos;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        for (int e : endOfGeneration) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    @Override
    public Set<String> specialNames() {
        return Set.copyOf(specialIds.keySet());
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 0 && id < types.length && types[id] == TYPE_CONTROL;
    }

    /** Typed access to GGUF metadata values with one-line errors. */
    private record Metadata(Map<String, Object> md, String source) {
        String string(String key) {
            Object v = md.get(key);
            if (v == null || v instanceof String) {
                return (String) v;
            }
            throw new RsdException(source + ": " + key + " should be a string but is " + v.getClass().getSimpleName());
        }

        List<?> list(String key) {
            Object v = md.get(key);
            if (v == null || v instanceof List) {
                return (List<?>) v;
            }
            throw new RsdException(source + ": " + key + " should be an array but is " + v.getClass().getSimpleName());
        }

        Boolean bool(String key) {
            Object v = md.get(key);
            if (v == null || v instanceof Boolean) {
                return (Boolean) v;
            }
            throw new RsdException(source + ": " + key + " should be a boolean but is " + v.getClass().getSimpleName());
        }

        /** A token id, or -1 when absent; an id outside the vocabulary is an error. */
        int id(String key, int vocab) {
            Object v = md.get(key);
            if (v == null) {
                return -1;
            }
            if (!(v instanceof Number num) || v instanceof Float || v instanceof Double) {
                throw new RsdException(source + ": " + key + " should be an integer but is " + v);
            }
            long id = num.longValue();
            if (id < 0 || id >= vocab) {
                throw new RsdException(source + ": " + key + " = " + id + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
            return (int) id;
        }
    }
}
