package rsd.testing;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * OpenAI's cl100k_base through jtokkit, as a {@link Tokenizer}. Llama 3's ids 0..99,999 are exactly the
 * cl100k ranks and its pre-tokenizer regex is the same, so this gives real Llama-3 pieces for drafter
 * tests. Id 100257 ({@code <|endoftext|>}) is the only special token.
 */
public final class JtokkitCl100k implements Tokenizer {
    public static final JtokkitCl100k INSTANCE = new JtokkitCl100k();
    private static final int END = 100257;
    private final Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    @Override
    public int vocabSize() {
        return 100277;
    }

    @Override
    public int[] encode(String text) {
        return encoding.encodeOrdinary(text).toArray();
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        return allowSpecial ? encoding.encode(text).toArray() : encode(text);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id == END) {
            return "<|endoftext|>".getBytes(StandardCharsets.UTF_8);
        }
        IntArrayList l = new IntArrayList(1);
        l.add(id);
        return encoding.decodeBytes(l);
    }

    @Override
    public String piece(int id) {
        return new String(tokenBytes(id), StandardCharsets.UTF_8);
    }

    @Override
    public int idOf(String piece) {
        int[] ids = encode(piece);
        return ids.length == 1 && piece(ids[0]).equals(piece) ? ids[0] : -1;
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
            private byte[] pending = new byte[0];

            @Override
            public String push(int id) {
                byte[] t = tokenBytes(id);
                byte[] all = Arrays.copyOf(pending, pending.length + t.length);
                System.arraycopy(t, 0, all, pending.length, t.length);
                int complete = completePrefix(all);
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

    /** Length of the prefix that ends on a UTF-8 character boundary. */
    public static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) {
                continue; // continuation byte
            }
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }

    @Override
    public int bos() {
        return -1;
    }

    @Override
    public int eos() {
        return END;
    }

    @Override
    public int eot() {
        return -1;
    }

    @Override
    public boolean addBos() {
        return false;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id == END;
    }

    @Override
    public boolean isSpecial(int id) {
        return id == END;
    }
}
