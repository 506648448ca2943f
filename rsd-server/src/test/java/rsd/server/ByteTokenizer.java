package rsd.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import rsd.tokenizer.StreamingDecoder;
import rsd.tokenizer.Tokenizer;

/**
 * A test tokenizer: one token per UTF-8 byte (ids 0..255) plus Llama-3's control tokens (256..260), so
 * the server can be tested before and independently of the real BPE tokenizer.
 */
final class ByteTokenizer implements Tokenizer {
    static final int BOS = 256, EOS = 257, START_HEADER = 258, END_HEADER = 259, EOT = 260;
    private static final List<String> SPECIALS = List.of("<|begin_of_text|>", "<|end_of_text|>",
            "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>");

    @Override
    public int vocabSize() {
        return 256 + SPECIALS.size();
    }

    @Override
    public int[] encode(String text) {
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            ids[i] = b[i] & 0xff;
        }
        return ids;
    }

    @Override
    public int[] encode(String text, boolean allowSpecial) {
        if (!allowSpecial) {
            return encode(text);
        }
        // Special names become their ids, the text between them bytes, as a real tokenizer would do it.
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        int i = 0;
        int plainFrom = 0;
        while (i < text.length()) {
            int found = -1;
            for (int s = 0; s < SPECIALS.size(); s++) {
                if (text.startsWith(SPECIALS.get(s), i)) {
                    found = s;
                    break;
                }
            }
            if (found < 0) {
                i++;
                continue;
            }
            for (int b : encode(text.substring(plainFrom, i))) {
                ids.add(b);
            }
            ids.add(256 + found);
            i += SPECIALS.get(found).length();
            plainFrom = i;
        }
        for (int b : encode(text.substring(plainFrom))) {
            ids.add(b);
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Override
    public byte[] tokenBytes(int id) {
        return id < 256 ? new byte[] {(byte) id} : SPECIALS.get(id - 256).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String piece(int id) {
        return new String(tokenBytes(id), StandardCharsets.UTF_8);
    }

    @Override
    public int idOf(String piece) {
        int s = SPECIALS.indexOf(piece);
        if (s >= 0) {
            return 256 + s;
        }
        byte[] b = piece.getBytes(StandardCharsets.UTF_8);
        return b.length == 1 ? b[0] & 0xff : -1;
    }

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id : ids) {
            out.writeBytes(tokenBytes(id));
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public StreamingDecoder streamingDecoder() {
        return new StreamingDecoder() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public String push(int id) {
                pending.writeBytes(tokenBytes(id));
                byte[] b = pending.toByteArray();
                int complete = completePrefix(b);
                String text = new String(b, 0, complete, StandardCharsets.UTF_8);
                pending.reset();
                pending.write(b, complete, b.length - complete);
                return text;
            }

            @Override
            public String flush() {
                String text = pending.toString(StandardCharsets.UTF_8);
                pending.reset();
                return text;
            }
        };
    }

    /** Length of the longest prefix that does not end inside a UTF-8 sequence. */
    static int completePrefix(byte[] b) {
        int i = b.length;
        int back = 0;
        while (i > 0 && back < 3 && (b[i - 1] & 0xC0) == 0x80) {
            i--;
            back++;
        }
        if (i == 0) {
            return b.length;
        }
        int lead = b[i - 1] & 0xff;
        int need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        return back + 1 >= need ? b.length : i - 1;
    }

    @Override
    public int bos() {
        return BOS;
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
        return id >= 256;
    }
}
