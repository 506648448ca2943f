package rsd.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * A tiny tokenizer over a fixed list of pieces: id 0 is BOS and id 1 is end of text (both special),
 * encoding is greedy longest match. Enough to test text, stop strings and streaming in the decoder.
 */
public final class FakeTokenizer implements Tokenizer {
    private final List<String> pieces;

    public FakeTokenizer(List<String> pieces) {
        this.pieces = pieces;
    }

    /** Pieces 2.. are {@code ordinary}; the vocabulary has exactly 2 + ordinary.size() tokens. */
    public static FakeTokenizer of(String... ordinary) {
        List<String> all = new java.util.ArrayList<>(List.of("<bos>", "<eos>"));
        all.addAll(List.of(ordinary));
        return new FakeTokenizer(List.copyOf(all));
    }

    @Override
    public int vocabSize() {
        return pieces.size();
    }

    @Override
    public int[] encode(String text) {
        return encode(text, false);
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        int i = 0;
        while (i < text.length()) {
            int best = -1;
            int bestLen = 0;
            for (int id = allowSpecial ? 0 : 2; id < pieces.size(); id++) {
                String p = pieces.get(id);
                if (p.length() > bestLen && text.startsWith(p, i)) {
                    best = id;
                    bestLen = p.length();
                }
            }
            if (best < 0) {
                throw new IllegalArgumentException("no piece for '" + text.charAt(i) + "'");
            }
            out.add(best);
            i += bestLen;
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        return pieces.get(id).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return pieces.get(id);
    }

    @Override
    public int idOf(String piece) {
        return pieces.indexOf(piece);
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int id : ids) {
            b.writeBytes(tokenBytes(id));
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder() {
            @Override
            public String push(int id) {
                return pieces.get(id);
            }

            @Override
            public String flush() {
                return "";
            }
        };
    }

    @Override
    public int bos() {
        return 0;
    }

    @Override
    public int eos() {
        return 1;
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
        return id == 1;
    }

    @Override
    public boolean isSpecial(int id) {
        return id < 2;
    }
}
