package rsd.tokenizer;

/**
 * GPT-2's reversible byte-to-unicode mapping. Byte-level BPE vocabularies (GPT-2, cl100k, Llama 3) store
 * every token as a string in which each byte is one printable character: bytes that are printable
 * Latin-1 map to themselves, the other 68 bytes map to U+0100 and up in byte order. So a space is 'Ġ'
 * (U+0120) and a newline 'Ċ' (U+010A).
 */
public final class ByteUnicode {
    private static final char[] BYTE_TO_CHAR = new char[256];
    /** Indexed by char; -1 where the char stands for no byte. Covers U+0000..U+0143. */
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int extra = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (256 + extra++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteUnicode() {
    }

    /** The character that stands for byte {@code b} in a vocabulary's token strings. */
    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The byte a character stands for, or -1. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** The vocabulary spelling of raw bytes. */
    static String toVocabText(byte[] bytes) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(out);
    }

    /** The raw bytes of a vocabulary string, or null if a character stands for no byte. */
    static byte[] toBytes(String vocabText) {
        byte[] out = new byte[vocabText.length()];
        for (int i = 0; i < out.length; i++) {
            int b = byteOf(vocabText.charAt(i));
            if (b < 0) {
                return null;
            }
            out[i] = (byte) b;
        }
        return out;
    }
}
