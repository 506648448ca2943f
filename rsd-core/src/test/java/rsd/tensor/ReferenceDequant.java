package rsd.tensor;

import rsd.gguf.GgmlType;

/** Test-side, loop-by-loop decoders of every engine tensor type, written from the ggml block layouts. */
public final class ReferenceDequant {
    private ReferenceDequant() {
    }

    public static void putHalf(byte[] b, int at, float v) {
        short h = Float.floatToFloat16(v);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    public static float half(byte[] b, int at) {
        return Float.float16ToFloat((short) ((b[at] & 0xff) | (b[at + 1] << 8)));
    }

    /** Plain, loop-by-loop dequantization written from the ggml block layouts (independent of the engine). */
    public static double[] dequantize(GgmlType type, byte[] b, int n) {
        double[] y = new double[n];
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    y[i] = Float.intBitsToFloat((b[4 * i] & 0xff) | (b[4 * i + 1] & 0xff) << 8 | (b[4 * i + 2] & 0xff) << 16 | (b[4 * i + 3] & 0xff) << 24);
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    y[i] = half(b, 2 * i);
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    y[i] = Float.intBitsToFloat(((b[2 * i] & 0xff) | (b[2 * i + 1] & 0xff) << 8) << 16);
                }
            }
            case Q8_0 -> {
                for (int i = 0; i < n; i++) {
                    int at = i / 32 * 34;
                    y[i] = half(b, at) * b[at + 2 + i % 32];
                }
            }
            case Q4_0 -> {
                for (int blk = 0; blk < n / 32; blk++) {
                    int at = blk * 18;
                    double d = half(b, at);
                    for (int j = 0; j < 16; j++) {
                        int q = b[at + 2 + j] & 0xff;
                        y[blk * 32 + j] = d * ((q & 15) - 8);
                        y[blk * 32 + j + 16] = d * ((q >> 4) - 8);
                    }
                }
            }
            case Q4_K -> {
                for (int blk = 0; blk < n / 256; blk++) {
                    int at = blk * 144;
                    double d = half(b, at), dmin = half(b, at + 2);
                    int[] sc = new int[8], mn = new int[8];
                    for (int j = 0; j < 8; j++) {
                        int[] s = new int[12];
                        for (int k = 0; k < 12; k++) {
                            s[k] = b[at + 4 + k] & 0xff;
                        }
                        if (j < 4) {
                            sc[j] = s[j] & 63;
                            mn[j] = s[j + 4] & 63;
                        } else {
                            sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
                            mn[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
                        }
                    }
                    int q = at + 16, out = blk * 256, is = 0;
                    for (int j = 0; j < 256; j += 64) {
                        for (int l = 0; l < 32; l++) {
                            y[out + l] = d * sc[is] * (b[q + l] & 0xF) - dmin * mn[is];
                        }
                        for (int l = 0; l < 32; l++) {
                            y[out + 32 + l] = d * sc[is + 1] * ((b[q + l] & 0xff) >> 4) - dmin * mn[is + 1];
                        }
                        q += 32;
                        out += 64;
                        is += 2;
                    }
                }
            }
            case Q5_K -> {
                for (int blk = 0; blk < n / 256; blk++) {
                    int at = blk * 176;
                    double d = half(b, at), dmin = half(b, at + 2);
                    int[] s = new int[12];
                    for (int k = 0; k < 12; k++) {
                        s[k] = b[at + 4 + k] & 0xff;
                    }
                    int[] sc = new int[8], mn = new int[8];
                    for (int j = 0; j < 8; j++) {
                        if (j < 4) {
                            sc[j] = s[j] & 63;
                            mn[j] = s[j + 4] & 63;
                        } else {
                            sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
                            mn[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
                        }
                    }
                    int qh = at + 16, ql = at + 48, out = blk * 256, is = 0, u1 = 1, u2 = 2;
                    for (int j = 0; j < 256; j += 64) {
                        for (int l = 0; l < 32; l++) {
                            int q = (b[ql + l] & 0xF) + ((b[qh + l] & u1) != 0 ? 16 : 0);
                            y[out + l] = d * sc[is] * q - dmin * mn[is];
                        }
                        for (int l = 0; l < 32; l++) {
                            int q = ((b[ql + l] & 0xff) >> 4) + ((b[qh + l] & u2) != 0 ? 16 : 0);
                            y[out + 32 + l] = d * sc[is + 1] * q - dmin * mn[is + 1];
                        }
                        ql += 32;
                        out += 64;
                        is += 2;
                        u1 <<= 2;
                        u2 <<= 2;
                    }
                }
            }
            case Q6_K -> {
                for (int blk = 0; blk < n / 256; blk++) {
                    int at = blk * 210;
                    double d = half(b, at + 208);
                    int ql = at, qh = at + 128, sc = at + 192, out = blk * 256;
                    for (int half = 0; half < 2; half++) {
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int q1 = ((b[ql + l] & 0xF) | (((b[qh + l] >> 0) & 3) << 4)) - 32;
                            int q2 = ((b[ql + l + 32] & 0xF) | (((b[qh + l] >> 2) & 3) << 4)) - 32;
                            int q3 = (((b[ql + l] & 0xff) >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32;
                            int q4 = (((b[ql + l + 32] & 0xff) >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32;
                            y[out + l] = d * b[sc + is] * q1;
                            y[out + l + 32] = d * b[sc + is + 2] * q2;
                            y[out + l + 64] = d * b[sc + is + 4] * q3;
                            y[out + l + 96] = d * b[sc + is + 6] * q4;
                        }
                        out += 128;
                        ql += 64;
                        qh += 32;
                        sc += 8;
                    }
                }
            }
            default -> throw new AssertionError(type);
        }
        return y;
    }

}
