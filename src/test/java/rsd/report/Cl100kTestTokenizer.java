package rsd.report;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * The real cl100k_base tokenizer (from jtokkit) behind rsd's Tokenizer interface. Llama 3's ids 0..99,999
 * are cl100k's ranks and its pre-tokenizer is the same, so report tests see exactly the tokens a Llama 3
 * model would produce for code ("):\n", seven spaces as one token).
 */
public final class Cl100kTestTokenizer implements Tokenizer {
    private static final Encoding CL100K = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);

    @Override
    public int vocabSize() {
        return 100_000;
    }

    @Override
    public int[] encode(String text) {
        return CL100K.encodeOrdinary(text).toArray();
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        return encode(text);
    }

    @Override
    public byte[] tokenBytes(int id) {
        IntArrayList one = new IntArrayList(1);
        one.add(id);
        return CL100K.decodeBytes(one);
    }

    @Override
    public String piece(int id) {
        return new String(tokenBytes(id), StandardCharsets.UTF_8);
    }

    @Override
    public int idOf(String piece) {
        int[] ids = CL100K.encodeOrdinary(piece).toArray();
        return ids.length == 1 ? ids[0] : -1;
    }

    @Override
    public String decode(int[] ids) {
        IntArrayList l = new IntArrayList(ids.length);
        for (int id : ids) {
            l.add(id);
        }
        return CL100K.decode(l);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        throw new UnsupportedOperationException("not needed by the report tests");
    }

    @Override
    public int bos() {
        return -1;
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
        return false;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return false;
    }

    @Override
    public boolean isSpecial(int id) {
        return false;
    }
}
