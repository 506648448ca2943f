package rsd.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import rsd.gguf.GgmlType;

/**
 * Super-blocks of 256 weights (210 bytes): 128 bytes ql (low 4 bits), 64 bytes qh (high 2 bits), 16 signed
 * 8-bit scales, f16 d. Each half of 128 weights takes 64 ql bytes and 32 qh bytes: for l < 32, weights
 * l, l+32, l+64, l+96 combine the low/high nibbles of ql[l] and ql[l+32] with bit pairs 0, 2, 4, 6 of qh[l];
 * weight = d * scale[l/16 + 2*quarter] * (q - 32).
 */
final class Q6_KTensor extends Tensor implements Kernels.SuperBlockPairs {
    static final int BLOCK = 256;
    static final int BYTES = 210;
    private static final ThreadLocal<float[]> BLOCK_BUFFER = ThreadLocal.withInitial(() -> new float[BLOCK]);

    Q6_KTensor(MemorySegment data, long size) {
        super(data, size);
    }

    @Override
    public GgmlType type() {
        return GgmlType.Q6_K;
    }

    private int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xff;
    }

    @Override
    public float get(long index) {
        long block = index / BLOCK * BYTES;
        int i = (int) (index % BLOCK);
        int half = i / 128;
        int quarter = (i % 128) / 32;
        int l = i % 32;
        long ql = block + 64L * half;
        long qh = block + 128 + 32L * half;
        int lowByte = u8(ql + l + ((quarter & 1) == 1 ? 32 : 0));
        int low = quarter < 2 ? lowByte & 15 : lowByte >>> 4;
        int high = (u8(qh + l) >>> (2 * quarter)) & 3;
        int scale = data.get(ValueLayout.JAVA_BYTE, block + 192 + 8 * half + l / 16 + 2 * quarter);
        return Kernels.half(data, block + 208) * scale * ((low | high << 4) - 32);
    }

    /**
     * One token goes through {@link #lanes} (two rows decoded in registers, no scratch panel); more
     * tokens through the shared panels. Both sum each (row, token) in the canonical order over the weights
     * {@link #dequantize} gives, so the bits do not depend on T.
     */
    @Override
    public void matmul(float[][] x, int T, int cols, float[][] out, int outOff, int r0, int r1, float[] scratch) {
        if (T == 1 && Kernels.VECTOR && Kernels.L <= 16) {
            Kernels.superBlockPairs(this, data, BYTES, cols, x[0], out[0], outOff, r0, r1, scratch);
            return;
        }
        super.matmul(x, T, cols, out, outOff, r0, r1, scratch);
    }

    /** d times each of the super-block's 16 signed scales into s[at..at+16): the products {@link #dequantize} forms. */
    @Override
    public void scales(MemorySegment seg, long block, float[] s, int at) {
        float d = Kernels.half(seg, block + 208);
        long lo = seg.get(Kernels.LONG_LE, block + 192), hi = seg.get(Kernels.LONG_LE, block + 200);
        for (int i = 0; i < 8; i++) {
            s[at + i] = d * (byte) (lo >>> (8 * i));
            s[at + 8 + i] = d * (byte) (hi >>> (8 * i));
        }
    }

    /** Each weight formed as {@link #dequantize} forms it ((q - 32) times its scale) and fed to one FMA per lane. */
    @Override
    public void lanes(MemorySegment seg, long p0, long p1, int blocks, float[] x, float[] s, int lanes) {
        FloatVector a0 = FloatVector.zero(Kernels.F), a1 = a0;
        int second = 16 * blocks;
        for (int b = 0; b < blocks; b++, p0 += BYTES, p1 += BYTES) {
            for (int half = 0; half < 2; half++) {
                int c0 = 16 * b + 8 * half, c1 = second + c0;
                for (int quarter = 0; quarter < 4; quarter++) {
                    int o = BLOCK * b + 128 * half + 32 * quarter;
                    long ql = 64L * half + 32 * (quarter & 1), qh = 128 + 32L * half;
                    int nibble = 4 * (quarter >> 1), bits = 2 * quarter;
                    for (int l = 0; l < 32; l += Kernels.L) {
                        FloatVector xv = FloatVector.fromArray(Kernels.F, x, o + l);
                        int e = l / 16 + 2 * quarter;
                        a0 = code(seg, p0 + ql + l, p0 + qh + l, nibble, bits).mul(s[c0 + e]).fma(xv, a0);
                        a1 = code(seg, p1 + ql + l, p1 + qh + l, nibble, bits).mul(s[c1 + e]).fma(xv, a1);
                    }
                }
            }
        }
        a0.intoArray(s, lanes);
        a1.intoArray(s, lanes + Kernels.L);
    }

    /**
     * q - 32 as floats for L weights: 4 bits of the ql bytes (from bit {@code nibble}) under 2 bits of the
     * qh bytes (from bit {@code bits}), worked on as ints (byte lanes have no native shifts).
     */
    private static FloatVector code(MemorySegment seg, long ql, long qh, int nibble, int bits) {
        IntVector low = ints(seg, ql).lanewise(VectorOperators.LSHR, nibble).and(15);
        IntVector high = ints(seg, qh).lanewise(VectorOperators.LSHR, bits).and(3).lanewise(VectorOperators.LSHL, 4);
        return (FloatVector) low.or(high).sub(32).convert(VectorOperators.I2F, 0);
    }

    private static IntVector ints(MemorySegment seg, long at) {
        return (IntVector) ByteVector.fromMemorySegment(Kernels.B, seg, at, Kernels.LE).convertShape(VectorOperators.B2I, Kernels.I, 0);
    }

    @Override
    public void dequantize(long from, float[] out, int off, int n) {
        for (int k = 0; k < n; k += BLOCK) {
            long block = (from + k) / BLOCK * BYTES;
            float d = Kernels.half(data, block + 208);
            for (int half = 0; half < 2; half++) {
                long ql = block + 64L * half;
                long qh = block + 128 + 32L * half;
                // this half's 8 signed scales in one read (a checked segment access per byte costs more)
                long sc = data.get(Kernels.LONG_LE, block + 192 + 8L * half);
                int o = off + k + 128 * half;
                if (Kernels.VECTOR && Kernels.L <= 16) {
                    for (int l = 0; l < 32; l += Kernels.L) {
                        ByteVector lo0 = ByteVector.fromMemorySegment(Kernels.B, data, ql + l, Kernels.LE);
                        ByteVector lo32 = ByteVector.fromMemorySegment(Kernels.B, data, ql + 32 + l, Kernels.LE);
                        ByteVector hi = ByteVector.fromMemorySegment(Kernels.B, data, qh + l, Kernels.LE);
                        ByteVector q1 = lo0.and((byte) 15).or(hi.and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q2 = lo32.and((byte) 15).or(hi.lanewise(VectorOperators.LSHR, 2).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q3 = lo0.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 4).and((byte) 3).lanewise(VectorOperators.LSHL, 4));
                        ByteVector q4 = lo32.lanewise(VectorOperators.LSHR, 4).or(hi.lanewise(VectorOperators.LSHR, 6).lanewise(VectorOperators.LSHL, 4));
                        int is = l / 16;
                        store(q1, d * (byte) (sc >>> (8 * is)), out, o + l);
                        store(q2, d * (byte) (sc >>> (8 * (is + 2))), out, o + 32 + l);
                        store(q3, d * (byte) (sc >>> (8 * (is + 4))), out, o + 64 + l);
                        store(q4, d * (byte) (sc >>> (8 * (is + 6))), out, o + 96 + l);
                    }
                } else {
                    for (int i = 0; i < 128; i++) {
                        out[o + i] = get(from + k + 128L * half + i);
                    }
                }
            }
        }
    }

    private static void store(ByteVector q, float scale, float[] out, int at) {
        ((jdk.incubator.vector.FloatVector) q.sub((byte) 32).convertShape(VectorOperators.B2F, Kernels.F, 0)).mul(scale).intoArray(out, at);
    }
}
