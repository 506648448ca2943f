package rsd.draft;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * Test tokenizer for the rules: OpenAI's cl100k_base (jtokkit), which equals Llama 3's first 100,000 ids
 * and uses the same pre-tokenizer regex, so every piece the rules emit is a real Llama-3 piece.
 * Special tokens are Llama 3's ids (end of text 128001, end of turn 128009).
 */
public final class Cl100kTestTokenizer implements Tokenizer {
    private static final Cl100kTestTokenizer INSTANCE = new Cl100kTestTokenizer();
    private static final int EOS = 128001;
    private static final int EOT = 128009;

    private final Encoding encoding = Encodings.newDefaultEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    private final byte[][] bytes = new byte[100_256][];
    private final Map<String, Integer> ids = new HashMap<>();

    private Cl100kTestTokenizer() {
        try (var in = Encoding.class.getClassLoader().getResourceAsStream("com/knuddels/jtokkit/cl100k_base.tiktoken");
             var reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII))) {
            String line;
            while ((line = reader.readLine()) != null) {
                int space = line.indexOf(' ');
                byte[] b = Base64.getDecoder().decode(line.substring(0, space));
                int rank = Integer.parseInt(line.substring(space + 1).trim());
                bytes[rank] = b;
                ids.putIfAbsent(new String(b, StandardCharsets.ISO_8859_1), rank);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Cl100kTestTokenizer get() {
        return INSTANCE;
    }

    @Override
    public int vocabSize() {
        return 128_256;
    }

    @Override
    public int[] encode(String text) {
        return encoding.encodeOrdinary(text).toArray();
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        return encode(text);
    }

    @Override
    public byte[] tokenBytes(int id) {
        if (id == EOS) {
            return "<|end_of_text|>".getBytes(StandardCharsets.UTF_8);
        }
        if (id == EOT) {
            return "<|eot_id|>".getBytes(StandardCharsets.UTF_8);
        }
        if (id < 0 || id >= bytes.length || bytes[id] == null) {
            return new byte[0];
        }
        return bytes[id].clone();
    }

    @Override
    public String piece(int id) {
        return new String(tokenBytes(id), StandardCharsets.UTF_8);
    }

    @Override
    public int idOf(String piece) {
        Integer id = ids.get(new String(piece.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
        return id == null ? -1 : id;
    }

    @Override
    public String decode(int[] tokenIds) {
        var out = new java.io.ByteArrayOutputStream();
        for (int id : tokenIds) {
            out.writeBytes(tokenBytes(id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        throw new UnsupportedOperationException("not needed by the rule tests");
    }

    @Override
    public int bos() {
        return 128000;
    }

    @Override
    public int eos() {
        return EOS;
    }

    @Override
    public int eot() {
        return EOT;
    }

    @Override
    public boolean addBos() {
        return true;
    }

    @Override
    public boolean isEndOfGeneration(int id) {
        return id == EOS || id == EOT;
    }

    @Override
    public boolean isSpecial(int id) {
        return id >= 128000;
    }
}
