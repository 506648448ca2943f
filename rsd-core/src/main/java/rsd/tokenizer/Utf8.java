package rsd.tokenizer;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * UTF-8 with one explicit policy for bad input, shared by one-shot and streaming decoding so that both
 * always agree.
 *
 * <p>Encoding: an unpaired surrogate in Java text (it has no UTF-8 form) is encoded as U+FFFD, so
 * {@code decode(encode(s))} returns s with every unpaired surrogate replaced by U+FFFD.
 *
 * <p>Decoding: each maximal subpart of an ill-formed sequence becomes one U+FFFD (the practice the
 * Unicode standard recommends, chapter 3 "U+FFFD Substitution of Maximal Subparts", and what browsers do).
 * A truncated but so far valid sequence at the very end of the input is one maximal subpart, hence one
 * U+FFFD; a streaming decoder instead holds such a tail back until more bytes arrive.
 *
 * <p>{@link #strictOrNull} is the other policy, for user files and requests: refuse bad input outright.
 */
public final class Utf8 {
    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /**
     * The bytes as text, or null when they are not a complete, valid UTF-8 sequence: for input that should
     * be refused with a clear message rather than decoded with U+FFFD.
     */
    public static String strictOrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Returns s with every unpaired surrogate replaced by U+FFFD (s itself when it has none). */
    static String sanitize(String s) {
        int n = s.length();
        int i = 0;
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i += 2;
                    continue;
                }
                break;
            }
            i++;
        }
        if (i == n) {
            return s;
        }
        StringBuilder sb = new StringBuilder(n).append(s, 0, i);
        while (i < n) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                sb.append(c).append(s.charAt(i + 1));
                i += 2;
            } else {
                sb.append(Character.isSurrogate(c) ? REPLACEMENT : c);
                i++;
            }
        }
        return sb.toString();
    }

    /** The UTF-8 bytes of s (unpaired surrogates as U+FFFD). */
    static byte[] encode(String s) {
        byte[] buf = new byte[s.length() * 3];
        int n = encode(s, 0, s.length(), buf);
        return java.util.Arrays.copyOf(buf, n);
    }

    /**
     * Writes the UTF-8 of s[from, to) into dst (which holds at least 3 bytes per char) and returns the
     * number of bytes written.
     */
    static int encode(String s, int from, int to, byte[] dst) {
        int n = 0;
        for (int i = from; i < to; i++) {
            int c = s.charAt(i);
            if (c < 0x80) {
                dst[n++] = (byte) c;
                continue;
            }
            if (Character.isSurrogate((char) c)) {
                if (Character.isHighSurrogate((char) c) && i + 1 < to && Character.isLowSurrogate(s.charAt(i + 1))) {
                    c = Character.toCodePoint((char) c, s.charAt(++i));
                } else {
                    c = REPLACEMENT;
                }
            }
            if (c < 0x800) {
                dst[n++] = (byte) (0xC0 | (c >> 6));
                dst[n++] = (byte) (0x80 | (c & 0x3F));
            } else if (c < 0x10000) {
                dst[n++] = (byte) (0xE0 | (c >> 12));
                dst[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                dst[n++] = (byte) (0x80 | (c & 0x3F));
            } else {
                dst[n++] = (byte) (0xF0 | (c >> 18));
                dst[n++] = (byte) (0x80 | ((c >> 12) & 0x3F));
                dst[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                dst[n++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return n;
    }

    /** Decodes all of b with the replacement policy above. */
    static String decode(byte[] b, int off, int end) {
        StringBuilder sb = new StringBuilder(end - off);
        decode(b, off, end, sb, true);
        return sb.toString();
    }

    /**
     * Decodes b[off, end) into out and returns the index of the first byte not consumed. When
     * {@code last} is false, a truncated but so far valid sequence at the end is left unconsumed (at most
     * 3 bytes); when true, everything is consumed.
     */
    static int decode(byte[] b, int off, int end, StringBuilder out, boolean last) {
        int i = off;
        while (i < end) {
            int b0 = b[i] & 0xFF;
            if (b0 < 0x80) {
                out.append((char) b0);
                i++;
                continue;
            }
            int need;
            int lo = 0x80;
            int hi = 0xBF;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                need = 1;
                cp = b0 & 0x1F;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                need = 2;
                cp = b0 & 0x0F;
                if (b0 == 0xE0) {
                    lo = 0xA0; // no overlong forms
                } else if (b0 == 0xED) {
                    hi = 0x9F; // no surrogates
                }
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                need = 3;
                cp = b0 & 0x07;
                if (b0 == 0xF0) {
                    lo = 0x90; // no overlong forms
                } else if (b0 == 0xF4) {
                    hi = 0x8F; // nothing above U+10FFFF
                }
            } else {
                out.append(REPLACEMENT); // a byte that can never start a character
                i++;
                continue;
            }
            int j = i + 1;
            boolean bad = false;
            for (int k = 0; k < need; k++, j++) {
                if (j >= end) {
                    if (!last) {
                        return i;
                    }
                    bad = true;
                    break;
                }
                int bk = b[j] & 0xFF;
                if (bk < (k == 0 ? lo : 0x80) || bk > (k == 0 ? hi : 0xBF)) {
                    bad = true;
                    break;
                }
                cp = (cp << 6) | (bk & 0x3F);
            }
            if (bad) {
                out.append(REPLACEMENT); // the maximal subpart b[i, j); b[j] starts afresh
                i = j;
            } else {
                out.appendCodePoint(cp);
                i = j;
            }
        }
        return i;
    }
}
