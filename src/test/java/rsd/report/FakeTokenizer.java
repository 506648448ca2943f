package rsd.report;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * A small tokenizer for tests: ids 0..255 are single bytes, then a list of multi-byte pieces that mimic how
 * Llama 3 cuts Python ("):\n", seven spaces, " return"), then one special token. Encoding is greedy
 * longest match, which is enough to produce realistic token streams without a model file.
 */
final class FakeTokenizer implements Tokenizer {
    static final String[] PIECES = {
        "def", " fibonacci", "(n", "):\n", "   ", "       ", "           ", " if", " n", " <", " ", ":\n",
        " return", "\n", "\n\n", "\n\n\n", " a", " b", " =", ",", " +", " for", " _", " in", " range",
        ")", " \"\"\"", "Return", " the", " nth", " Fibonacci", " number", ".\n", "0", "1", "2",
        " self", ".a", "class", " Foo", "(", "Bar", "\t", " else", " {\n", " }\n", ");\n", "\t\t"};
    static final String BOS = "<|begin_of_text|>";
    private final List<byte[]> vocab = new ArrayList<>();

    FakeTokenizer() {
        for (int b = 0; b < 256; b++) {
            vocab.add(new byte[] {(byte) b});
        }
        for (String p : PIECES) {
            vocab.add(p.getBytes(StandardCharsets.UTF_8));
        }
        vocab.add(BOS.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        List<Integer> out = new ArrayList<>();
        int i = 0;
        while (i < b.length) {
            int best = b[i] & 0xff;
            int bestLen = 1;
            for (int id = 256; id < vocab.size() - 1; id++) {
                byte[] p = vocab.get(id);
                if (p.length > bestLen && startsWith(b, i, p)) {
                    best = id;
                    bestLen = p.length;
                }
            }
            out.add(best);
            i += bestLen;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean startsWith(byte[] b, int at, byte[] p) {
        if (at + p.length > b.length) {
            return false;
        }
        for (int k = 0; k < p.length; k++) {
            if (b[at + k] != p[k]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        return encode(text);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return vocab.get(id).clone();
    }

    @Override
    public String piece(int id) {
        return new String(vocab.get(id), StandardCharsets.UTF_8);
    }

    @Override
    public int idOf(String piece) {
        byte[] p = piece.getBytes(StandardCharsets.UTF_8);
        for (int id = vocab.size() - 1; id >= 0; id--) {
            if (java.util.Arrays.equals(vocab.get(id), p)) {
                return id;
            }
        }
        return -1;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(vocab.get(id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        throw new UnsupportedOperationException("not needed by the report tests");
    }

    @Override
    public int bos() {
        return vocab.size() - 1;
    }

    @Override
    public int eos() {
        return -1;
    }

    @Override
    public int eot() {
        return -1;
    }

    @Override
    public boolean addBos() {
        return true;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return false;
    }

    @Override
    public boolean isSpecial(int id) {
        return id == vocab.size() - 1;
    }
}
