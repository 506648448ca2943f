package rsd.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * The vocabulary of the engine's random test models (RandomLlama): id b is byte b, 256 is BOS, 257 is
 * end of text, the rest reserved control tokens. Used until the real tokenizer can read those files.
 */
public final class ByteTokenizer implements Tokenizer {
    private final int vocab;

    public ByteTokenizer(int vocab) {
        this.vocab = vocab;
    }

    @Override
    public int vocabSize() {
        return vocab;
    }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xFF;
        }
        return ids;
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        return encode(text);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return id < 256 ? new byte[] {(byte) id} : ("<|special_" + id + "|>").getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return new String(tokenBytes(id), StandardCharsets.UTF_8);
    }

    @Override
    public int idOf(String piece) {
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        return b.length == 1 ? b[0] & 0xFF : -1;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            if (id < 256) {
                out.write(id);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder() {
            private byte[] pending = new byte[0];

            @Override
            public String push(int id) {
                byte[] all = Arrays.copyOf(pending, pending.length + 1);
                all[pending.length] = (byte) id;
                int complete = JtokkitCl100k.completePrefix(all);
                pending = Arrays.copyOfRange(all, complete, all.length);
                return new String(all, 0, complete, StandardCharsets.UTF_8);
            }

            @Override
            public String flush() {
                String s = new String(pending, StandardCharsets.UTF_8);
                pending = new byte[0];
                return s;
            }
        };
    }

    @Override
    public int bos() {
        return 256;
    }

    @Override
    public int eos() {
        return 257;
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
        return id == 257;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 256;
    }
}
