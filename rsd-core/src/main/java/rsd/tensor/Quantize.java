package rsd.tensor;

import rsd.gguf.GgmlType;

/** Converts float32 values to the storage formats the engine can write (llama.cpp's reference rounding). */
public final class Quantize {
    private Quantize() {
    }

    /** Types {@link #quantize} accepts. */
    public static boolean canQuantizeTo(GgmlType type) {
        return switch (type) {
            case F32, F16, BF16, Q8_0, Q4_0 -> true;
            default -> false;
        };
    }

    /** x[off..off+n) encoded as {@code type}; n must be a multiple of the type's block size. */
    public static byte[] quantize(GgmlType type, float[] x, int off, int n) {
        byte[] out = new byte[(int) type.bytesFor(n)];
        switch (type) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    putInt(out, 4 * i, Float.floatToRawIntBits(x[off + i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    putShort(out, 2 * i, Float.floatToFloat16(x[off + i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    putShort(out, 2 * i, toBF16(x[off + i]));
                }
            }
            case Q8_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q8_0Block(x, off + 32 * b, out, 34 * b);
                }
            }
            case Q4_0 -> {
                for (int b = 0; b < n / 32; b++) {
                    q4_0Block(x, off + 32 * b, out, 18 * b);
                }
            }
            default -> throw new IllegalArgumentException("cannot quantize to " + type);
        }
        return out;
    }

    /** Round to nearest even, NaN kept quiet. */
    static short toBF16(float f) {
        int u = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((u >>> 16) | 64);
        }
        return (short) ((u + (0x7fff + ((u >>> 16) & 1))) >>> 16);
    }

    /** d = max|x| / 127, q = round(x / d). */
    private static void q8_0Block(float[] x, int off, byte[] out, int at) {
        float amax = 0;
        for (int j = 0; j < 32; j++) {
            amax = Math.max(amax, Math.abs(x[off + j]));
        }
        float d = amax / 127f;
        float id = d != 0 ? 1f / d : 0f;
        putShort(out, at, Float.floatToFloat16(d));
        for (int j = 0; j < 32; j++) {
            out[at + 2 + j] = (byte) roundHalfAway(x[off + j] * id);
        }
    }

    /** d = (value of largest magnitude) / -8 so that it maps to -8 exactly; q = clamp(x / d + 8.5). */
    private static void q4_0Block(float[] x, int off, byte[] out, int at) {
        float amax = 0, max = 0;
        for (int j = 0; j < 32; j++) {
            float v = x[off + j];
            if (Math.abs(v) > amax) {
                amax = Math.abs(v);
                max = v;
            }
        }
        float d = max / -8f;
        float id = d != 0 ? 1f / d : 0f;
        putShort(out, at, Float.floatToFloat16(d));
        for (int j = 0; j < 16; j++) {
            int q0 = Math.min(15, (int) (x[off + j] * id + 8.5f));
            int q1 = Math.min(15, (int) (x[off + 16 + j] * id + 8.5f));
            out[at + 2 + j] = (byte) (q0 | (q1 << 4));
        }
    }

    private static int roundHalfAway(float v) {
        return (int) (v < 0 ? -Math.floor(-v + 0.5f) : Math.floor(v + 0.5f));
    }

    private static void putShort(byte[] b, int at, short v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >> 8);
    }

    private static void putInt(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }
}
